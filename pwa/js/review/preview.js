/* Live Markdown preview: the server renders and sanitises (nh3); the page only shows what comes back. */
import { api } from '../api.js';

export function livePreview(textarea, target, url, delay = 350) {
  let timer = null;
  let latest = 0;
  const update = async () => {
    const ticket = ++latest;
    try {
      const { html } = await api(url, { method: 'POST', body: { markdown: textarea.value } });
      // sanitised on the server with nh3 (an allow-list of tags, no attributes but href/title)
      if (ticket === latest) target.innerHTML = html;
    } catch (error) {
      console.error(error);
    }
  };
  textarea.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(update, delay);
  });
  return update;
}
