/* The print view's buttons: print, and copy the agenda as text. */
import { show } from './ui/toasts.js';

export function mount() {
  for (const button of document.querySelectorAll('[data-print]')) {
    button.addEventListener('click', () => window.print());
  }
  for (const button of document.querySelectorAll('[data-copy]')) {
    button.addEventListener('click', async () => {
      const source = document.querySelector(button.dataset.copy);
      if (!source) return;
      try {
        await navigator.clipboard.writeText(source.value);
        show('Copied. Paste it into an email to the school.');
      } catch (err) {
        // clipboard can be refused (no permission, not focused): select it instead
        source.focus();
        source.select();
        show('Selected: press copy on your keyboard or phone menu.');
      }
    });
  }
}
