// Small DOM helpers: element creation without innerHTML (nothing from the cluster is ever
// parsed as markup), and a few queries.

/**
 * Creates an element. `props` sets attributes, except:
 * - `class` / `className` sets the class list (a string or an array, falsy entries skipped);
 * - `dataset` is an object of data-* attributes;
 * - `on` is an object of event listeners;
 * - `text` sets textContent;
 * - `style` is an object of CSS properties;
 * - boolean `true` sets an empty attribute, `false`/`null`/`undefined` omits it;
 * - `value`, `checked`, `selected`, `disabled`, `hidden` are set as properties.
 * Children are nodes, strings (as text) or arrays of those; null/false are skipped.
 */
export function h(tag, props = {}, ...children) {
  const element = tag.startsWith("svg:")
    ? document.createElementNS("http://www.w3.org/2000/svg", tag.slice(4))
    : document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    switch (key) {
      case "class":
      case "className": {
        const names = Array.isArray(value) ? value.filter(Boolean) : String(value).split(/\s+/).filter(Boolean);
        element.classList.add(...names);
        break;
      }
      case "dataset":
        for (const [name, data] of Object.entries(value)) {
          if (data !== undefined && data !== null) element.dataset[name] = String(data);
        }
        break;
      case "on":
        for (const [type, listener] of Object.entries(value)) element.addEventListener(type, listener);
        break;
      case "text":
        element.textContent = String(value);
        break;
      case "style":
        Object.assign(element.style, value);
        break;
      case "value":
      case "checked":
      case "selected":
      case "disabled":
      case "hidden":
        element[key] = value;
        break;
      default:
        element.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

/** Creates an SVG element (`svg("path", {d: …})`). */
export function svg(tag, props = {}, ...children) {
  return h(`svg:${tag}`, props, ...children);
}

/** Appends nodes, strings and (nested) arrays of them; skips null, undefined and false. */
export function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.append(child instanceof Node ? child : String(child));
  }
  return parent;
}

/** Replaces every child of `parent` with `children`. */
export function replaceChildren(parent, ...children) {
  parent.replaceChildren();
  return append(parent, children);
}

/** The element with this id, or an error naming it: the markup and the code must agree. */
export function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from index.html`);
  return element;
}

/** Sets textContent only when it changed (keeps selections and avoids layout work). */
export function setText(element, text) {
  const value = String(text ?? "");
  if (element.textContent !== value) element.textContent = value;
}
