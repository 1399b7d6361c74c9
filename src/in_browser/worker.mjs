// The browser's executor: PostgreSQL (PGlite) and Python (Pyodide) in one worker, so the
// page stays responsive. Messages: {id, type, step | line}, type one of hello (start),
// step, typed, reset, ready (PostgreSQL's version), memory; answers: {id, result} or
// {id, error}; {status} while starting.
import { loadPyodide } from "./pyodide/pyodide.mjs";
import { PGlite } from "./pglite/index.js";

const base = new URL("./", import.meta.url);
// Kept in this site's IndexedDB across reloads: the database, the project, the session.
const DATABASE = "idb://run-in-browser";
const PROJECT = "/path/to/project";
const STATE = "/state";
let session = null;

// Python first, PostgreSQL after the first step: both compute on this one thread, and a
// page's first blocks (`alembic init`, `revision`) need no database, so they show their
// output without waiting for initdb. A step that may connect waits for it.
async function start() {
  const started = performance.now();
  postMessage({ status: "Starting Python" });
  let db = null;
  let postgres = null;
  const startPostgres = () => (postgres ??= PGlite.create(DATABASE).then((created) => (db = created)));
  const pyodide = await loadPyodide({
    indexURL: new URL("pyodide/", base).href,
    lockFileURL: new URL("wheels/pyodide-lock.json", base).href,
    packageBaseUrl: new URL("wheels/", base).href,
    env: { HOME: "/home/pyodide", COLUMNS: "80" },
    stdout: () => {},
    stderr: () => {},
  });
  postMessage({ status: "Loading Alembic" });
  await pyodide.loadPackage(["alembic", "pg8000"], { messageCallback: () => {} });
  const files = await (await fetch(new URL("python/files.json", base))).json();
  for (const path of files) {
    const response = await fetch(new URL(`python/${path}`, base));
    pyodide.FS.mkdirTree(`/lib/browser/${path.split("/")[0]}`);
    pyodide.FS.writeFile(`/lib/browser/${path}`, await response.text());
  }
  pyodide.runPython("import sys; sys.path.insert(0, '/lib/browser')");
  for (const folder of [PROJECT, STATE]) {
    pyodide.FS.mkdirTree(folder);
    pyodide.FS.mount(pyodide.FS.filesystems.IDBFS, {}, folder);
  }
  await syncfs(pyodide, true);
  const runner = pyodide.pyimport("in_browser.runner");
  runner.connect_to((bytes) => {
    if (!db) throw new Error("PostgreSQL is still starting");
    return db.execProtocolRawSync(bytes);
  });
  const session = runner.Session(pyodide.pyimport("pathlib").Path(`${STATE}/session.json`));
  const ask = (kind, argument) => {
    const answer = JSON.parse(runner.handle(session, kind, JSON.stringify(argument)));
    if (answer.error) throw new Error(answer.error);
    return answer;
  };
  const ready = async () => {
    await startPostgres();
    return { version: (await db.query("SHOW server_version")).rows[0].server_version, seconds: (performance.now() - started) / 1000 };
  };
  const keep = async () => {
    await syncfs(pyodide, false);
    if (db) await db.syncToFs();
  };
  return { ask, pyodide, startPostgres, ready, keep, get db() { return db; } };
}

// IndexedDB to the file system (true), or back.
function syncfs(pyodide, populate) {
  return new Promise((resolve, reject) => pyodide.FS.syncfs(populate, (error) => (error ? reject(error) : resolve())));
}

// The worker's WebAssembly memories, in bytes: Python's and PostgreSQL's (null if unknown).
function memory(s) {
  const size = (module) => module?.HEAPU8?.buffer?.byteLength ?? null;
  return { python: size(s.pyodide._module), postgres: size(s.db.Module) };
}

onmessage = async ({ data }) => {
  try {
    session ??= start();
    const s = (session = await session);
    let result;
    if (data.type === "hello") result = { started: true };
    else if (data.type === "ready") result = await s.ready();
    else if (data.type === "memory") result = memory(s);
    else {
      const argument = data.step ?? data.line ?? null;
      if (data.type !== "step" || s.ask("connects", argument).connects) await s.startPostgres();
      result = s.ask(data.type, argument);
      await s.keep();
      s.startPostgres(); // in the background, once the first output is out
    }
    postMessage({ id: data.id, result });
  } catch (error) {
    postMessage({ id: data.id, error: String(error && error.message ? error.message : error) });
  }
};
