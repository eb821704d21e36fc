/* Letter page: live preview of the parent's edits. */
import { livePreview } from './preview.js';

const form = document.querySelector('[data-letter]');
if (form) {
  livePreview(document.getElementById('letter-md'), document.getElementById('letter-preview'), form.dataset.preview);
}
