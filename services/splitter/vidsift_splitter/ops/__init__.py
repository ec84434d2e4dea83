"""The splitter's recipe ops, one file each (data-juicer names and parameters)."""
