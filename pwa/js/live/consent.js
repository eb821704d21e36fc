/* The consent step before recording: a script to read out, then "Everyone agreed" in one tap, or each person's
 * answer (three touch-sized choices each), then record or take notes only. */
import { handleError } from '../ui/toasts.js';
import { live } from './live.js';

const $ = (id) => document.getElementById(id);
const ANSWERS = [['yes', 'Yes'], ['no', 'No'], ['unasked', 'Not asked']];

function personRow(person) {
  const fieldset = document.createElement('fieldset');
  fieldset.className = 'consent-person';
  const legend = document.createElement('legend');
  legend.textContent = `${person.name}${person.role_label ? ` (${person.role_label})` : ''}`;
  const choices = document.createElement('div');
  choices.className = 'choices';
  for (const [value, label] of ANSWERS) {
    const input = document.createElement('input');
    input.type = 'radio';
    input.name = `consent-${person.id}`;
    input.id = `consent-${person.id}-${value}`;
    input.value = value;
    input.dataset.attendeeId = person.id;
    input.checked = value === 'unasked';
    // the whole box is the label, so the whole box is the target
    const box = document.createElement('label');
    box.className = 'choice';
    box.append(input, label);
    choices.append(box);
  }
  fieldset.append(legend, choices);
  return fieldset;
}

function answers() {
  return [...document.querySelectorAll('#consent-people input[type=radio]:checked')]
    .map((input) => ({ attendee_id: input.dataset.attendeeId, answer: input.value }));
}

/** Open the consent sheet. */
export async function openConsent() {
  $('consent-people').replaceChildren(...live.attendees().map(personRow));
  $('consent-said').checked = false;
  $('consent-start').disabled = true;
  $('consent-all').disabled = true;
  $('consent-sheet').returnValue = '';
  $('consent-sheet').showModal();
}

async function onClose() {
  let choice = $('consent-sheet').returnValue;
  if (choice !== 'start' && choice !== 'notes' && choice !== 'all') return;
  if (choice === 'all') {
    for (const input of document.querySelectorAll('#consent-people input[value=yes]')) input.checked = true;
    choice = 'start';
  }
  const given = answers().filter((a) => a.answer !== 'unasked');
  for (const a of given) {
    await live.capture('consent', { attendee_id: a.attendee_id, given: a.answer === 'yes' }, { withContext: false });
  }
  const objected = given.some((a) => a.answer === 'no');
  if (choice === 'notes' || objected) {
    await live.setConsent('refused');
    await live.refresh();
    return;
  }
  await live.setConsent('given');
  await live.startRecording();
}

// anyone saying no means no recording: only "notes only" is offered, whatever order the boxes are ticked in
function updateStart() {
  const objected = answers().some((a) => a.answer === 'no');
  $('consent-start').disabled = objected || !$('consent-said').checked;
  // everyone agreeing is one tap, once the words were said (an objection marked first still means notes only)
  $('consent-all').disabled = objected || !$('consent-said').checked;
}
$('consent-said').addEventListener('change', updateStart);
$('consent-people').addEventListener('change', updateStart);
$('consent-sheet').addEventListener('close', () => onClose().catch((err) => handleError(err)));
