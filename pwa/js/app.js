/* Entry module: the service worker and its notices, the offline banner, and the page's widgets. */
import { show } from './ui/toasts.js';

async function registerWorker() {
  if (!('serviceWorker' in navigator)) return null;
  const hadController = Boolean(navigator.serviceWorker.controller);
  const registration = await navigator.serviceWorker.register(document.body.dataset.sw || '/sw.js', { scope: '/' });

  // the installing worker is seen both here and by `updatefound`: watch each one once (one "Ready offline")
  const watched = new WeakSet();
  const watch = (worker) => {
    if (!worker || watched.has(worker)) return;
    watched.add(worker);
    worker.addEventListener('statechange', () => {
      if (worker.state === 'installed' && navigator.serviceWorker.controller) {
        offerUpdate(worker);
      } else if (worker.state === 'activated' && !hadController) {
        show('Ready offline: pages you open are saved on this device.');
      }
    });
  };
  if (registration.waiting && navigator.serviceWorker.controller) offerUpdate(registration.waiting);
  if (registration.installing) watch(registration.installing);
  registration.addEventListener('updatefound', () => watch(registration.installing));

  let reloading = false;
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (hadController && !reloading && window.minutedUpdating) {
      reloading = true;
      window.location.reload();
    }
  });
  await navigator.serviceWorker.ready;
  return registration;
}

async function offerUpdate(worker) {
  const answer = await show('An update to Minuted is available.', { buttons: ['Update now'], duration: 0 });
  if (answer) {
    window.minutedUpdating = true;
    worker.postMessage({ type: 'skip-waiting' });
  }
}

// a page made longer ago than this, when it loads, came from the service worker's saved copies
const STALE_MS = 2 * 60 * 1000;

/**
 * Say when the phone is offline or Minuted can't be reached, and clear it as soon as the server answers again.
 * The meeting screen works from this phone's own copy and syncs by itself: there the banner never asks for a
 * reload, which would interrupt a recording.
 */
function offlineBanner() {
  const banner = document.getElementById('offline-banner');
  if (!banner) return;
  const at = document.body.dataset.renderedAt ? new Date(document.body.dataset.renderedAt) : null;
  const valid = at && !Number.isNaN(at.getTime());
  const when = valid ? at.toLocaleString(undefined, { weekday: 'short', hour: '2-digit', minute: '2-digit' }) : null;
  const live = Boolean(document.querySelector('[data-live]'));
  // online but served a saved copy: the phone has a signal, Minuted itself could not be reached (until it answers)
  let unreachable = valid && Date.now() - at.getTime() > STALE_MS;
  const update = () => {
    if (!navigator.onLine) {
      if (live) banner.textContent = "You're offline. Everything you do here is saved on this phone and sent when the signal is back.";
      else banner.textContent = when ? `You're offline. This is the copy saved on this device (${when}).` : "You're offline.";
      banner.hidden = false;
    } else if (unreachable) {
      banner.textContent = live
        ? "Minuted can't be reached right now. Everything you do here is saved on this phone and sent when it can be."
        : `Minuted couldn't be reached, so this is the copy saved on this device (${when}). Reload to try again.`;
      banner.hidden = false;
    } else {
      banner.hidden = true;
    }
  };
  // any answer at all from the server (even an error page) means it can be reached; a signal just back often loses
  // its first request, so a failed probe is tried again twice before the banner stays
  const probe = async (tries = 1) => {
    if (navigator.onLine) {
      try {
        await fetch(window.location.pathname, { method: 'HEAD', cache: 'no-store', credentials: 'same-origin', redirect: 'manual' });
        unreachable = false;
      } catch (_) {
        unreachable = true;
        if (tries < 3) setTimeout(() => probe(tries + 1), 1500);
      }
    }
    update();
  };
  window.addEventListener('online', () => { update(); probe(); });
  window.addEventListener('offline', update);
  // the meeting screen's sync says when a round trip to the server completed
  window.addEventListener('minuted:reachable', () => { unreachable = false; update(); });
  update();
  if (unreachable && navigator.onLine) probe();
}

function forgetPagesOnLogout() {
  for (const form of document.querySelectorAll('form[data-logout]')) {
    form.addEventListener('submit', () => {
      // a shared phone must not show the last person's pages offline
      if ('caches' in window) caches.delete('minuted-pages');
      if (navigator.serviceWorker && navigator.serviceWorker.controller) {
        navigator.serviceWorker.controller.postMessage({ type: 'forget-pages' });
      }
    });
  }
}

function localTimezone() {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  for (const input of document.querySelectorAll('input[data-timezone]')) {
    if (zone && !input.dataset.keep) input.value = zone;
  }
}

async function mountWidgets() {
  if (document.querySelector('[data-check]')) (await import('./checker-ui.js')).mount();
  if (document.querySelector('.sortable')) (await import('./sortable.js')).mount();
  if (document.querySelector('[data-copy], [data-print]')) (await import('./print.js')).mount();
  if (document.querySelector('[data-prefetch-live]')) (await import('./live/prefetch.js')).mount();
}

window.swReady = registerWorker().catch((err) => {
  console.error('service worker', err);
  return null;
});
offlineBanner();
forgetPagesOnLogout();
localTimezone();
mountWidgets().catch((err) => console.error(err));
