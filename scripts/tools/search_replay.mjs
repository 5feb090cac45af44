// Run the site's search worker (docs/assets/javascripts/casebook-search.js) in Node on a
// built site and print, for each query given on stdin (one per line), the page locations
// in result order and the files the worker fetched for it, as JSON lines. Lets the tests
// compare the worker with its Python replay.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
// With a third argument, Material's search_index.json: the worker's `mkdocs serve` path.
const [site, worker, material] = process.argv.slice(2);
globalThis.lunr = require("lunr");
globalThis.importScripts = () => {};
globalThis.addEventListener = () => {};
const { Engine, inMemoryFiles } = new Function(`${readFileSync(worker, "utf8")}; return { Engine, inMemoryFiles };`)();
const files = material ? inMemoryFiles(JSON.parse(readFileSync(material, "utf8"))) : null;
const read = path => files ? files[path] : JSON.parse(readFileSync(`${site}/search/${path}`, "utf8"));
let fetched = [];
const load = async path => {
  fetched.push(path);
  return read(path);
};
const engine = new Engine(read("manifest.json"), load);
for (const query of readFileSync(0, "utf8").split("\n").filter(Boolean)) {
  fetched = [];
  const items = (await engine.search(query)).items;
  console.log(JSON.stringify({ pages: items.map(group => group[0].location), fetched }));
}
