// "Run in your browser": runs a page's blocks in a worker (src/in_browser/static/worker.mjs)
// on PostgreSQL and Python compiled to WebAssembly, and shows each block's output under it.
// One worker serves the whole visit: the tutorial's next page continues the same project.
(() => {
  const WORKER = new URL("../browser/worker.mjs", document.currentScript.src);
  let worker = null;
  let asked = 0;
  const pending = new Map();
  // {name, last}: the project the worker holds (in IndexedDB, so a reload keeps it), and
  // the last page run in it.
  const KEPT = "run-in-browser-project";
  let project = JSON.parse(localStorage.getItem(KEPT) || "null");
  const keep = (value) => {
    project = value;
    value ? localStorage.setItem(KEPT, JSON.stringify(value)) : localStorage.removeItem(KEPT);
  };

  function ask(message) {
    if (!worker) {
      worker = new Worker(WORKER, { type: "module" });
      worker.onmessage = ({ data }) => {
        if (data.status) return document.dispatchEvent(new CustomEvent("in-browser-status", { detail: data.status }));
        const { resolve, reject } = pending.get(data.id);
        pending.delete(data.id);
        data.error ? reject(new Error(data.error)) : resolve(data.result);
      };
    }
    const id = ++asked;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ ...message, id });
    });
  }

  function element(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    Object.entries(attributes).forEach(([name, value]) => node.setAttribute(name, value));
    node.append(...children.filter((child) => child !== null));
    return node;
  }

  const VERDICTS = {
    "as recorded": ["as-recorded", "In your browser: as recorded"],
    differs: ["differs", "In your browser: printed otherwise"],
    terminal: ["terminal", "Not run here: runs in your terminal"],
    written: ["as-recorded", "In your browser: written into the project"],
    ran: ["ran", "In your browser: ran"],
  };

  // A page continues its project from the pages before it; anything else starts over.
  function continues(page) {
    return project && project.name === page.project && project.last < page.order;
  }

  function verdict(name, extra = "") {
    const [css, label] = VERDICTS[name];
    return element("p", { class: `in-browser-verdict ${css}` }, label + extra);
  }

  function shownCommand(command, result) {
    const parts = [verdict(result.verdict)];
    if (result.verdict === "terminal") return parts;
    if (result.status !== command.status) parts.push(verdict("differs", `: exit status ${result.status}`));
    parts.push(element("pre", { class: "in-browser-output" }, `$ ${command.line}\n${result.output}`));
    if (result.diff) parts.push(element("pre", { class: "in-browser-diff" }, result.diff));
    return parts;
  }

  function declared(step, box) {
    if (step.differs) box.append(element("p", { class: "in-browser-why" }, `As this page says: ${step.differs}.`));
  }

  function show(step, result) {
    const block = document.querySelector(`div.highlight[data-line="${step.line}"]`);
    if (!block || !result) return;
    block.parentElement.querySelector(`.in-browser-result[data-line="${step.line}"]`)?.remove();
    const box = element("div", { class: "in-browser-result", "data-line": step.line });
    if (step.kind === "console") step.commands.forEach((c, i) => box.append(...shownCommand(c, result.commands[i])));
    else if (step.kind === "python") {
      box.append(verdict(result.verdict), result.output ? element("pre", { class: "in-browser-output" }, result.output) : null);
    } else box.append(verdict(result.verdict));
    declared(step, box);
    block.after(box);
  }

  async function runPage(page, bar) {
    const status = bar.querySelector(".in-browser-status");
    const button = bar.querySelector("button.in-browser-run");
    button.disabled = true;
    performance.mark("in-browser-run"); // what the bench times (tools/bench.py)
    const onStatus = ({ detail }) => (status.textContent = `${detail}…`);
    document.addEventListener("in-browser-status", onStatus);
    try {
      status.textContent = "Starting…";
      await ask({ type: "hello" });
      document.removeEventListener("in-browser-status", onStatus);
      if (project && !continues(page)) await ask({ type: "reset", step: null });
      keep({ name: page.project, last: page.order });
      let done = 0;
      for (const step of page.steps) {
        if (step.kind === "shown") continue;
        status.textContent = `Running block ${++done}…`;
        const result = await ask({ type: "step", step });
        show(step, result);
        if (done === 1) performance.mark("in-browser-first-output");
      }
      const postgres = await ask({ type: "ready" });
      status.textContent = `Done, on PostgreSQL ${postgres.version} in your browser.`;
    } catch (error) {
      status.textContent = `Stopped: ${error.message.split("\n").filter(Boolean).pop()}`;
    } finally {
      document.removeEventListener("in-browser-status", onStatus);
      button.disabled = false;
    }
  }

  function ownCommand() {
    const input = element("input", { type: "text", placeholder: "alembic history, or SQL", "aria-label": "Your own command" });
    const output = element("div", { class: "in-browser-typed" });
    const form = element("form", { class: "in-browser-own" }, element("label", {}, "Your own command: ", input), element("button", { type: "submit", class: "md-button" }, "Run"), output);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const line = input.value.trim();
      if (!line) return;
      const result = await ask({ type: "typed", line }).catch((error) => ({ output: error.message }));
      const shown = result.verdict === "terminal" ? [verdict("terminal", `: ${result.why}`)] : [typedOutput(line, result)];
      output.replaceChildren(...shown);
    });
    return form;
  }

  function typedOutput(line, result) {
    if (result.rows) {
      const head = element("tr", {}, ...result.columns.map((name) => element("th", {}, name)));
      const rows = result.rows.map((row) => element("tr", {}, ...row.map((value) => element("td", {}, String(value)))));
      return element("table", { class: "in-browser-rows" }, element("thead", {}, head), element("tbody", {}, ...rows));
    }
    return element("pre", { class: "in-browser-output" }, `$ ${line}\n${result.output}`);
  }

  function setUp() {
    const data = document.getElementById("in-browser-steps");
    const heading = document.querySelector("article h1");
    if (!data || !heading) return;
    const page = JSON.parse(data.dataset.page);
    const bar = element(
      "div",
      { class: "in-browser admonition" },
      element("button", { type: "button", class: "md-button md-button--primary in-browser-run" }, "Run in your browser"),
      element("button", { type: "button", class: "md-button in-browser-reset" }, "Start over"),
      element("span", { class: "in-browser-status" }, continues(page) ? "Continues the project of the pages before." : ""),
    );
    bar.querySelector("button.in-browser-run").addEventListener("click", () => runPage(page, bar));
    bar.querySelector("button.in-browser-reset").addEventListener("click", async () => {
      const status = bar.querySelector(".in-browser-status");
      status.textContent = "Starting over…";
      await ask({ type: "reset", step: null });
      keep(null);
      document.querySelectorAll(".in-browser-result").forEach((result) => result.remove());
      status.textContent = "A new project and an empty database: run the first page again.";
    });
    heading.after(bar);
    document.querySelector("article").append(ownCommand());
  }

  window.inBrowser = { ask }; // for the bench: the worker's memory
  if (window.document$) window.document$.subscribe(setUp);
  else document.addEventListener("DOMContentLoaded", setUp);
})();
