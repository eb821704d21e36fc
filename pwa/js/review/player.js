/* Tap a transcript line or a marker to hear the recording from that moment. */

export function mountPlayer(root, audio, audioUrl) {
  if (!audio) return;
  const label = document.getElementById('player-label');
  root.addEventListener('click', (event) => {
    const line = event.target.closest('[data-play]');
    if (!line || !root.contains(line)) return;
    const recording = line.dataset.recording;
    const offset = Number(line.dataset.offset || 0);
    if (!recording) return;
    const src = audioUrl(recording);
    const seek = () => {
      audio.currentTime = offset;
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
