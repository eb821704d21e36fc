/* The wording checker as the parent types: flags under each provision / target box. */
import { check } from './checker.js';
import { api } from './api.js';

const STORE = 'minuted-rules-';

async function loadRules(jurisdiction) {
  // keep the last rules on the device so the checker also works offline
  try {
    const fresh = await api(`/api/v1/rules/${encodeURIComponent(jurisdiction)}`);
    localStorage.setItem(STORE + jurisdiction, JSON.stringify(fresh.wording));
    return fresh.wording;
  } catch (err) {
    const saved = localStorage.getItem(STORE + jurisdiction);
    if (saved) return JSON.parse(saved);
    throw err;
  }
}

function render(host, flags) {
  host.replaceChildren();
  if (!flags.length) return;
  const list = document.createElement('ul');
  list.className = 'flag-list';
  for (const flag of flags) {
    const item = document.createElement('li');
    item.className = `flag flag-${flag.severity}`;
    item.dataset.rule = flag.rule_id;
    const title = document.createElement('strong');
    title.textContent = flag.title;
    item.append(title);
    if (flag.match) item.append(` — “${flag.match}”`);
    item.append(`. ${flag.explanation}`);
    if (flag.suggestion) {
      const suggest = document.createElement('span');
      suggest.className = 'suggest';
      suggest.textContent = ` Try: ${flag.suggestion}`;
      item.append(suggest);
    }
    if (flag.verified === 'U') {
      const note = document.createElement('span');
      note.className = 'check';
      note.textContent = ' (check this: the source is unverified)';
      item.append(note);
    }
    list.append(item);
  }
  host.append(list);
}

export async function mount() {
  const boxes = [...document.querySelectorAll('[data-check]')];
  const byJurisdiction = {};
  for (const box of boxes) {
    const j = box.dataset.jurisdiction || 'england';
    byJurisdiction[j] = byJurisdiction[j] || loadRules(j);
  }
  for (const box of boxes) {
    const host = document.getElementById(`${box.id}-flags`);
    if (!host) continue;
    let rules;
    try {
      rules = await byJurisdiction[box.dataset.jurisdiction || 'england'];
    } catch (err) {
      console.error('wording rules', err);
      continue;
    }
    let timer = null;
    const run = () => {
      const flags = check(box.value, box.dataset.check, rules, { childName: box.dataset.childName || null });
      render(host, flags);
    };
    box.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(run, 150);
    });
    if (box.value.trim()) run();
  }
}
