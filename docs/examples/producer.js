// Publish videos to vidsift's ingest queue from Node.js (npm install amqplib).
//
//   node producer.js amqp://guest:guest@rabbitmq:5672/ batch-001 <recipe_id> s3://bucket/raw/a.mp4 ...
//
// The job's recipe must be in storage first (`vidsift submit` stores it and prints its id), and every
// message must validate against docs/schema/source.json. Each message is a Celery protocol 2 task
// message (JSON body) for task vidsift.stage.split, published to exchange "vidsift" with routing key
// "vidsift.split", persistent, with publisher confirms (as vidsift's own publisher does).
const amqp = require("amqplib");
const crypto = require("crypto");

async function main() {
  const [url, job, recipeId, ...uris] = process.argv.slice(2);
  const conn = await amqp.connect(url);
  const channel = await conn.createConfirmChannel();
  for (const uri of uris) {
    const source = { schema: "vidsift.source/1", job, uri, recipe_id: recipeId };
    // Optional: a row's caption and columns, copied to every clip of the video (manifest `meta`).
    if (process.env.CAPTION) source.meta = { caption: process.env.CAPTION };
    const id = crypto.randomUUID();
    // Celery protocol 2: body = [args, kwargs, embed]; the task name and id travel in the headers.
    const body = JSON.stringify([[source], {}, { callbacks: null, errbacks: null, chain: null, chord: null }]);
    channel.publish("vidsift", "vidsift.split", Buffer.from(body), {
      contentType: "application/json",
      contentEncoding: "utf-8",
      deliveryMode: 2,
      correlationId: id,
      headers: { lang: "py", task: "vidsift.stage.split", id, root_id: id, parent_id: null, group: null,
                 retries: 0, eta: null, expires: null, timelimit: [null, null], argsrepr: "", kwargsrepr: "",
                 origin: "producer.js" },
    });
  }
  await channel.waitForConfirms();
  await conn.close();
  console.log(`published ${uris.length} message(s) to job ${job}`);
}

main().catch((err) => { console.error(err.message); process.exit(1); });
