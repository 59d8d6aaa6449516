// @ts-check
/**
 * A tiny element builder. Text always goes in as text nodes (never innerHTML), so names and
 * user agents sent by strangers cannot inject markup.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key in el && typeof value !== 'string') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return el;
}

export function show(el, visible) {
  el.hidden = !visible;
}

/**
 * A button that asks once more before doing something destructive: the first press turns it
 * into "Confirm …" for a few seconds (no window.confirm, which blocks kiosks and tests).
 * @param {string} label
 * @param {string} confirmLabel
 * @param {() => unknown} action
 * @param {{ className?: string, ariaLabel?: string }} [options]
 */
export function confirmButton(label, confirmLabel, action, { className = 'danger', ariaLabel } = {}) {
  let armed = false;
  let timer;
  const button = h('button', { type: 'button', class: className, 'aria-label': ariaLabel }, label);
  const disarm = () => {
    armed = false;
    button.textContent = label;
    if (ariaLabel) button.setAttribute('aria-label', ariaLabel);
  };
  button.addEventListener('click', async () => {
    if (!armed) {
      armed = true;
      button.textContent = confirmLabel;
      if (ariaLabel) button.setAttribute('aria-label', `${confirmLabel}: ${ariaLabel}`);
      timer = setTimeout(disarm, 5000);
      return;
    }
    clearTimeout(timer);
    disarm();
    button.disabled = true;
    try {
      await action();
    } finally {
      button.disabled = false;
    }
  });
  return button;
}
