// Attention for a page that may be in a background tab: a count in the window title and a short
// tone (made with Web Audio, so there is no sound file to load). Both can be switched off; the
// choice is remembered in localStorage.

export class Notifier {
  // `defaults`: the settings before the user chose (e.g. { title: false } in a frame, whose title
  // nobody sees).
  constructor({ baseTitle, storageKey = 'aicc.notify', defaults = {} }) {
    this.baseTitle = baseTitle;
    this.storageKey = storageKey;
    this.count = 0;
    this.settings = { sound: true, title: true, ...defaults, ...this.#load() };
    this.audio = null;
    // A tab the agent looks at needs no count.
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.clear();
    });
    // Browsers start an AudioContext made before any user gesture "suspended", and only a gesture
    // may resume it: clicks and keys on the page make (or wake) it until it runs.
    const unlock = () => {
      if (!this.settings.sound) return;
      const audio = this.#wake();
      if (!audio || audio.state === 'running') {
        document.removeEventListener('pointerdown', unlock, true);
        document.removeEventListener('keydown', unlock, true);
      }
    };
    document.addEventListener('pointerdown', unlock, true);
    document.addEventListener('keydown', unlock, true);
  }

  set(name, on) {
    this.settings[name] = Boolean(on);
    if (name === 'sound' && on) this.#wake();  // switched on by a click: a gesture that may start audio
    try {
      localStorage.setItem(this.storageKey, JSON.stringify(this.settings));
    } catch {
      // Not remembered; still applies to this page.
    }
    this.#render();
  }

  setBaseTitle(title) {
    this.baseTitle = title;
    this.#render();
  }

  // Something new arrived: counts it when the tab is hidden (or `always`), and plays the tone.
  notify({ always = false } = {}) {
    if (always || document.visibilityState !== 'visible') this.count += 1;
    this.#render();
    if (this.settings.sound) this.#tone();
  }

  clear() {
    this.count = 0;
    this.#render();
  }

  #render() {
    document.title = this.settings.title && this.count > 0 ? `(${this.count}) ${this.baseTitle}` : this.baseTitle;
  }

  // The AudioContext, made on first use and resumed when the browser suspended it; null when
  // there is no Web Audio.
  #wake() {
    try {
      this.audio ??= new AudioContext();
      if (this.audio.state === 'suspended') this.audio.resume().catch(() => {});
    } catch {
      return null;
    }
    return this.audio;
  }

  #tone() {
    try {
      if (!this.#wake()) return;
      const now = this.audio.currentTime;
      const gain = this.audio.createGain();
      gain.gain.setValueAtTime(0.0001, now);
      gain.gain.exponentialRampToValueAtTime(0.2, now + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + 0.35);
      gain.connect(this.audio.destination);
      for (const [frequency, start] of [[880, 0], [1320, 0.12]]) {
        const oscillator = this.audio.createOscillator();
        oscillator.frequency.value = frequency;
        oscillator.connect(gain);
        oscillator.start(now + start);
        oscillator.stop(now + start + 0.2);
      }
    } catch {
      // Web Audio not supported or refused: the title still tells.
    }
  }

  #load() {
    try {
      return JSON.parse(localStorage.getItem(this.storageKey) ?? '{}') ?? {};
    } catch {
      return {};
    }
  }
}
