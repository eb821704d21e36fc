/* The consent step before recording: a script to read out, each person's answer, then record or take notes only. */
import { handleError } from '../ui/toasts.js';
import { live } from './live.js';

const $ = (id) => document.getElementById(id);
const ANSWERS = [['yes', 'Yes'], ['no', 'No'], ['unasked', 'Not asked']];

function personRow(person) {
  const fieldset = document.createElement('fieldset');
  fieldset.className = 'consent-person';
  const legend = document.createElement('legend');
  legend.textContent = `${person.name}${person.role_label ? ` (${person.role_label})` : ''}`;
  fieldset.append(legend);
  for (const [value, label] of ANSWERS) {
    const id = `consent-${person.id}-${value}`;
    const input = document.createElement('input');
    input.type = 'radio';
    input.name = `consent-${person.id}`;
    input.id = id;
    input.value = value;
    input.dataset.attendeeId = person.id;
    input.checked = value === 'unasked';
    const lab = document.createElement('label');
    lab.htmlFor = id;
    lab.textContent = label;
    const wrap = document.createElement('span');
    wrap.className = 'choice';
    wrap.append(input, lab);
    fieldset.append(wrap);
  }
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
  $('consent-sheet').returnValue = '';
  $('consent-sheet').showModal();
}

async function onClose() {
  const choice = $('consent-sheet').returnValue;
  if (choice !== 'start' && choice !== 'notes') return;
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
}
$('consent-said').addEventListener('change', updateStart);
$('consent-people').addEventListener('change', updateStart);
$('consent-sheet').addEventListener('close', () => onClose().catch((err) => handleError(err)));
