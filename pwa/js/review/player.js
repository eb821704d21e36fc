/* Tap a transcript line or a marker to hear the recording from that moment.

   A WebM file recorded in the browser (MediaRecorder) has no duration in its header: the browser reports
   Infinity and will not seek. Seeking once far past the end makes it read to the end and learn the real
   duration (durationchange); then the seek to the chosen moment works. The player box stays on screen
   (sticky) only while it plays, so at other times it covers nothing. */

const FAR_PAST_THE_END = 1e101;
const GIVE_UP_MS = 5000;

/* Resolve once audio.duration is a real number (at once when it already is). */
export function knownDuration(audio) {
  if (Number.isFinite(audio.duration)) return Promise.resolve(audio.duration);
  return new Promise((resolve) => {
    let timer;
    const finish = () => {
      audio.removeEventListener('durationchange', check);
      audio.removeEventListener('timeupdate', check);
      clearTimeout(timer);
      resolve(audio.duration);
    };
    const check = () => {
      if (Number.isFinite(audio.duration)) finish();
    };
    audio.addEventListener('durationchange', check);
    audio.addEventListener('timeupdate', check);
    // never wait for ever: seek as well as we can
    timer = setTimeout(finish, GIVE_UP_MS);
    audio.currentTime = FAR_PAST_THE_END;
  });
}

export function mountPlayer(root, audio, audioUrl) {
  if (!audio) return;
  const label = document.getElementById('player-label');
  const box = audio.closest('.player');
  if (box) {
    audio.addEventListener('play', () => box.classList.add('playing'));
    for (const name of ['pause', 'ended', 'emptied']) {
      audio.addEventListener(name, () => box.classList.remove('playing'));
    }
  }
  root.addEventListener('click', (event) => {
    const line = event.target.closest('[data-play]');
    if (!line || !root.contains(line)) return;
    const recording = line.dataset.recording;
    const offset = Number(line.dataset.offset || 0);
    if (!recording) return;
    const src = audioUrl(recording);
    const seek = async () => {
      await knownDuration(audio);
      audio.currentTime = Number.isFinite(audio.duration) ? Math.min(offset, audio.duration) : offset;
      audio.play().catch((error) => console.error(error));
    };
    if (audio.dataset.recording !== recording) {
      audio.dataset.recording = recording;
      audio.src = src;
      audio.addEventListener('loadedmetadata', seek, { once: true });
      audio.load();
    } else if (audio.readyState >= 1) {
      seek();
    } else {
      audio.addEventListener('loadedmetadata', seek, { once: true });
    }
    for (const other of root.querySelectorAll('[data-play][aria-current]')) other.removeAttribute('aria-current');
    line.setAttribute('aria-current', 'true');
    if (label) {
      const time = line.querySelector('time');
      label.textContent = time ? `Playing from ${time.textContent}` : 'Playing';
    }
  });
}
