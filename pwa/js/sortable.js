/* Drag to reorder the priorities (pointer events: touch, pen and mouse), saved with one API call.
 * The ↑/↓ buttons in each row do the same without dragging, for keyboards and screen readers. */
import { api } from './api.js';
import { show, handleError } from './ui/toasts.js';

function renumber(list) {
  [...list.children].forEach((row, i) => {
    const num = row.querySelector('.num');
    if (num) num.textContent = `${i + 1}.`;
  });
}

async function save(list) {
  const ids = [...list.children].map((row) => row.dataset.id);
  try {
    await api(list.dataset.orderUrl, { method: 'PUT', body: { ids } });
    show('New order saved.', { duration: 2500 });
  } catch (err) {
    await handleError(err, 'The new order was not saved.');
    window.location.reload();
  }
}

function makeSortable(list) {
  list.addEventListener('pointerdown', (down) => {
    const handle = down.target.closest('.handle');
    if (!handle) return;
    const row = handle.closest('li');
    down.preventDefault();
    const before = [...list.children].map((r) => r.dataset.id).join();
    row.classList.add('dragging');
    handle.setPointerCapture(down.pointerId);

    // moving the row in the DOM drops its pointer capture, so follow the pointer on the document
    const move = (event) => {
      if (event.pointerId !== down.pointerId) return;
      const target = document.elementFromPoint(event.clientX, event.clientY);
      const over = target && target.closest('li');
      if (!over || over === row || over.parentElement !== list) return;
      const box = over.getBoundingClientRect();
      const after = event.clientY > box.top + box.height / 2;
      const ref = after ? over.nextElementSibling : over;
      if (ref === row || ref === row.nextElementSibling) return;
      list.insertBefore(row, ref);
    };
    const up = (event) => {
      if (event.pointerId !== down.pointerId) return;
      document.removeEventListener('pointermove', move);
      document.removeEventListener('pointerup', up);
      document.removeEventListener('pointercancel', up);
      row.classList.remove('dragging');
      renumber(list);
      if ([...list.children].map((r) => r.dataset.id).join() !== before) save(list);
    };
    document.addEventListener('pointermove', move);
    document.addEventListener('pointerup', up);
    document.addEventListener('pointercancel', up);
  });
}

export function mount() {
  for (const list of document.querySelectorAll('.sortable')) makeSortable(list);
}
