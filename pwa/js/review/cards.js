/* Step 2 of the review: the minutes as cards, one per section, each edited in place.

   The server splits the minutes into sections (the parts a redraft merges by) and gives each card its exact
   text; saving one card puts its new wording back among the others, unchanged, and saves the whole through
   the minutes API with the version it started from (each save is a version). The cards are then fetched
   again from the server (?part=cards), so their grouping is never worked out here. */

/** A part's exact text or heading line, as the server gave it. */
const exact = (part, name) => part.querySelector(`:scope > template[data-${name}]`).content.textContent;

/** The whole minutes with one card's wording changed (the other parts exactly as the server gave them). */
function withPart(cards, edited, wording) {
  return [...cards.querySelectorAll('[data-part]')]
    .map((part) => {
      if (part !== edited) return exact(part, 'block');
      const heading = exact(part, 'heading');
      return `${heading ? `${heading}\n\n` : ''}${wording.trim()}\n\n`;
    })
    .join('');
}

/**
 * Wire the cards in `box` (its #cards is replaced on each refresh); return refresh(). `save(markdown)` saves
 * the whole minutes and resolves once the cards are drawn again; `onError(error)` reports a failed call.
 */
export function mountCards(box, pageUrl, { save, onError }) {
  const refresh = async () => {
    const response = await fetch(`${pageUrl}?part=cards`, { credentials: 'same-origin' });
    if (!response.ok) throw new Error(`cards: ${response.status}`);
    const fresh = new DOMParser().parseFromString(await response.text(), 'text/html').getElementById('cards');
    box.querySelector('#cards').replaceWith(document.adoptNode(fresh));
  };
  // after a save the card is drawn afresh: its heading takes the focus the Save button had
  const focusCard = (id) => {
    const heading = document.getElementById(id)?.querySelector('h3');
    if (!heading) return;
    heading.tabIndex = -1;
    heading.focus();
  };

  const open = (card, show) => {
    const form = card.querySelector('[data-part-form]');
    const toggle = card.querySelector('[data-edit-part]');
    if (!show) form.reset();
    form.hidden = !show;
    toggle.setAttribute('aria-expanded', String(show));
    (show ? form.elements.text : toggle).focus();
  };

  box.addEventListener('click', (event) => {
    const button = event.target.closest('button');
    const card = button?.closest('[data-part]');
    if (!card) return;
    if (button.hasAttribute('data-edit-part')) open(card, button.getAttribute('aria-expanded') !== 'true');
    else if (button.hasAttribute('data-cancel-part')) open(card, false);
  });

  box.addEventListener('submit', async (event) => {
    const form = event.target.closest('[data-part-form]');
    if (!form) return;
    event.preventDefault();
    const card = form.closest('[data-part]');
    const cards = box.querySelector('#cards');
    const controls = form.querySelectorAll('button, textarea');
    for (const control of controls) control.disabled = true;
    try {
      await save(withPart(cards, card, form.elements.text.value));
      focusCard(card.id);
    } catch (error) {
      for (const control of controls) control.disabled = false;
      onError(error);
    }
  });

  // an edit typed into a card and not saved: ask before leaving the page
  window.addEventListener('beforeunload', (event) => {
    const forms = box.querySelectorAll('[data-part-form]:not([hidden])');
    if ([...forms].some((form) => form.elements.text.value !== form.elements.text.defaultValue)) event.preventDefault();
  });

  return refresh;
}
