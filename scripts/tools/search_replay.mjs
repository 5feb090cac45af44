// Run the site's search worker (docs/assets/javascripts/casebook-search.js) in Node on a
// built site and print, for each query given on stdin (one per line), the page locations
// in result order and the files the worker fetched for it, as JSON lines. Lets the tests
// compare the worker with its Python replay.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const [site, worker] = process.argv.slice(2);
globalThis.lunr = require("lunr");
globalThis.importScripts = () => {};
globalThis.addEventListener = () => {};
const { Engine } = new Function(`${readFileSync(worker, "utf8")}; return { Engine };`)();
let fetched = [];
const load = async path => {
  fetched.push(path);
  return JSON.parse(readFileSync(`${site}/search/${path}`, "utf8"));
};
const engine = new Engine(JSON.parse(readFileSync(`${site}/search/manifest.json`, "utf8")), load);
for (const query of readFileSync(0, "utf8").split("\n").filter(Boolean)) {
  fetched = [];
  const items = (await engine.search(query)).items;
  console.log(JSON.stringify({ pages: items.map(group => group[0].location), fetched }));
}
