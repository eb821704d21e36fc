/* Small, calm notices at the bottom of the screen. */

const region = () => document.getElementById('toasts');

/**
 * Show a message; resolves with the label of the button pressed (or null when it goes).
 * @param {string} message
 * @param {{duration?: number, buttons?: string[], isError?: boolean}} options
 */
export function show(message, { duration = 6000, buttons = [], isError = false } = {}) {
  const host = region();
  if (!host) return Promise.resolve(null);
  const toast = document.createElement('div');
  toast.className = `toast${isError ? ' toast-error' : ''}`;
  const text = document.createElement('span');
  text.textContent = message;
  toast.append(text);
  host.append(toast);
  return new Promise((resolve) => {
    let timer = null;
    const close = (answer) => {
      clearTimeout(timer);
      toast.remove();
      resolve(answer);
    };
    for (const label of buttons) {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = label;
      button.addEventListener('click', () => close(label));
      toast.append(button);
    }
    if (duration) timer = setTimeout(() => close(null), duration);
  });
}

/** Report an error to the person (toast) and to the console; never swallow it. */
export function handleError(err, message = 'Something went wrong.') {
  console.error(err);
  return show(`${message} ${err && err.message ? err.message : ''}`.trim(), { isError: true, duration: 10000 });
}
