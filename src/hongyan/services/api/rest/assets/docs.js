// Renders /api/v1/openapi.json as a page: operations, parameters, bodies, answers, schemas.
// Self-written and served by hongyan (no CDN); text from the spec is inserted as text, and the
// small Markdown subset of descriptions is escaped before it is formatted.
"use strict";

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

// Paragraphs, "## " headings, `code`, **bold**, and the problem anchors the spec writes.
function markdown(text) {
  const box = el("div", {});
  for (const block of (text || "").split(/\n\s*\n/)) {
    let html = escapeHtml(block.trim())
      .replace(/&lt;a id=&quot;(problem-[a-z-]+)&quot;&gt;&lt;\/a&gt;/g, '<a id="$1"></a>')
      .replace(/`([^`]+)`/g, "<code>$1</code>")
      .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>");
    if (!html) continue;
    if (html.startsWith("## ")) {
      box.append(el("h2", {}, html.slice(3)));
      continue;
    }
    const paragraph = el("p", {});
    paragraph.innerHTML = html.split("\n").join(" ");
    box.append(paragraph);
  }
  return box;
}

function resolve(spec, node) {
  while (node && node.$ref) {
    node = node.$ref.slice(2).split("/").reduce((at, key) => at[key], spec);
  }
  return node || {};
}

function typeName(spec, schema) {
  if (schema.$ref) return schema.$ref.split("/").pop();
  if (schema.oneOf) return schema.oneOf.map((s) => typeName(spec, s)).join(" | ");
  let kind = Array.isArray(schema.type) ? schema.type.join(" | ") : schema.type || "any";
  if (schema.type === "array" && schema.items) kind = typeName(spec, schema.items) + "[]";
  if (schema.format) kind += ` (${schema.format})`;
  return kind;
}

function limits(schema) {
  const out = [];
  if (schema.enum) out.push("one of " + schema.enum.join(", "));
  for (const [key, label] of [["minimum", "≥"], ["maximum", "≤"], ["minLength", "length ≥"], ["maxLength", "length ≤"], ["minItems", "items ≥"], ["maxItems", "items ≤"]]) {
    if (schema[key] !== undefined) out.push(`${label} ${schema[key]}`);
  }
  if (schema.pattern) out.push(`pattern ${schema.pattern}`);
  if (schema.default !== undefined) out.push(`default ${schema.default}`);
  return out.join("; ");
}

function properties(spec, schema, depth) {
  schema = resolve(spec, schema);
  if (schema.type === "array" && schema.items) schema = resolve(spec, schema.items);
  const list = el("ul", { class: "props" });
  const required = new Set(schema.required || []);
  for (const [name, prop] of Object.entries(schema.properties || {})) {
    const item = el("li", {},
      el("code", {}, name), " ", el("span", { class: "type" }, typeName(spec, prop)),
      required.has(name) ? el("span", { class: "req" }, " required") : null,
      prop.description ? ` — ${prop.description}` : null,
      limits(prop) ? el("div", { class: "type" }, limits(prop)) : null);
    const inner = resolve(spec, prop.type === "array" ? prop.items || {} : prop);
    if (depth < 3 && inner.properties && (prop.$ref || prop.items)) item.append(properties(spec, inner, depth + 1));
    list.append(item);
  }
  return list;
}

function parameterTable(spec, parameters) {
  const rows = parameters.map((p) => resolve(spec, p)).map((p) =>
    el("tr", {}, el("td", {}, el("code", {}, p.name)), el("td", {}, p.in),
      el("td", { class: "type" }, typeName(spec, p.schema || {}), limits(p.schema || {}) ? ` (${limits(p.schema)})` : ""),
      el("td", {}, p.required ? "yes" : "no"), el("td", {}, p.description || "")));
  return el("table", {}, el("tr", {}, ["name", "in", "type", "required", "description"].map((h) => el("th", {}, h))), rows);
}

function responseTable(spec, responses) {
  const rows = Object.entries(responses).map(([status, raw]) => {
    const answer = resolve(spec, raw);
    const content = Object.entries(answer.content || {})[0];
    const headers = Object.keys(answer.headers || {}).join(", ");
    return el("tr", {}, el("td", { class: "status" }, status), el("td", {}, answer.description || ""),
      el("td", { class: "type" }, content ? `${content[0]}: ${typeName(spec, content[1].schema)}` : ""),
      el("td", {}, headers));
  });
  return el("table", {}, el("tr", {}, ["status", "meaning", "body", "headers"].map((h) => el("th", {}, h))), rows);
}

function operation(spec, path, method, op) {
  const section = el("section", { class: "op", id: op.operationId },
    el("h2", {}, el("span", { class: `method ${method}` }, method.toUpperCase()), el("code", {}, path)),
    el("p", {}, op.summary || ""));
  if (op.parameters) section.append(el("h3", {}, "Parameters"), parameterTable(spec, op.parameters));
  const body = op.requestBody && op.requestBody.content["application/json"];
  if (body) section.append(el("h3", {}, "Body ", el("span", { class: "type" }, typeName(spec, body.schema))), properties(spec, body.schema, 0));
  section.append(el("h3", {}, "Answers"), responseTable(spec, op.responses));
  return section;
}

function render(spec) {
  const main = document.getElementById("doc");
  const toc = document.getElementById("toc");
  main.replaceChildren(el("h1", {}, spec.info.title, " ", el("small", {}, spec.info.version)), markdown(spec.info.description));
  toc.replaceChildren(el("h2", {}, "Operations"));
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(item)) {
      main.append(operation(spec, path, method, op));
      toc.append(el("a", { href: `#${op.operationId}` }, `${method.toUpperCase()} ${path.replace("/api/v1", "")}`));
    }
  }
  main.append(el("h2", { id: "schemas" }, "Schemas"));
  toc.append(el("h2", {}, "Schemas"));
  for (const [name, schema] of Object.entries(spec.components.schemas)) {
    main.append(el("section", { class: "op", id: `schema-${name}` }, el("h3", {}, name), schema.description ? el("p", {}, schema.description) : null, properties(spec, schema, 0)));
    toc.append(el("a", { href: `#schema-${name}` }, name));
  }
  if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
}

fetch(document.getElementById("doc").dataset.spec)
  .then((answer) => answer.json())
  .then(render)
  .catch((error) => document.getElementById("doc").append(el("p", {}, `Could not load the API description: ${error}`)));
