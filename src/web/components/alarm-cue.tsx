// Alarms are impossible to miss: a banner in the top bar on every page while any alarm is active,
// and a tone (Web Audio, no media file) each time a new one arrives, unless the operator muted it.
// Browsers play sound only after the page was used once; the toggle is such a use.
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { useActiveAlarms } from '../hooks/api/alarms.ts';
import { Button } from './common/button.tsx';

const SOUND_KEY = 'monban.alarmSound';

function playTone(context: AudioContext) {
  const now = context.currentTime;
  for (const [i, frequency] of [880, 660, 880].entries()) {
    const oscillator = context.createOscillator();
    const gain = context.createGain();
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, now + i * 0.25);
    gain.gain.exponentialRampToValueAtTime(0.3, now + i * 0.25 + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.25 + 0.22);
    oscillator.connect(gain).connect(context.destination);
    oscillator.start(now + i * 0.25);
    oscillator.stop(now + i * 0.25 + 0.24);
  }
}

export function AlarmCue() {
  const { t } = useTranslation();
  const alarms = useActiveAlarms().data?.items ?? [];
  const [sound, setSound] = useState(() => localStorage.getItem(SOUND_KEY) !== 'off');
  const seen = useRef<Set<string> | undefined>(undefined);
  const audio = useRef<AudioContext | undefined>(undefined);

  useEffect(() => {
    const ids = new Set(alarms.map((a) => a.id));
    const fresh = seen.current !== undefined && [...ids].some((id) => !seen.current!.has(id));
    seen.current = ids;
    if (!fresh || !sound) return;
    try {
      audio.current ??= new AudioContext();
      if (audio.current.state === 'running') playTone(audio.current);
    } catch {}
  }, [alarms, sound]);

  const toggle = () => {
    const next = !sound;
    setSound(next);
    localStorage.setItem(SOUND_KEY, next ? 'on' : 'off');
    if (next) {
      audio.current ??= new AudioContext();
      void audio.current.resume();
    }
  };

  const critical = alarms.some((a) => a.severity === 'critical' || a.severity === 'high');
  return (
    <div className="alarm-cue">
      <div role="status" aria-live="assertive" className="alarm-cue-status">
        {alarms.length > 0 && (
          <Link to="/alarms" className={`alarm-banner ${critical ? 'alarm-banner-critical' : ''}`}>
            {t('alarms.activeCount', { count: alarms.length })}
          </Link>
        )}
      </div>
      <Button variant="quiet" onPress={toggle} aria-pressed={sound}>
        {sound ? t('alarms.soundOn') : t('alarms.soundOff')}
      </Button>
    </div>
  );
}
