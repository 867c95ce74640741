import { ToggleButton, ToggleButtonGroup } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { LANGUAGES, type Language, setLanguage } from '../../i18n/index.ts';

const NAMES: Record<Language, string> = { ja: '日本語', en: 'English' };

export function LanguageSwitch() {
  const { t, i18n } = useTranslation();
  return (
    <ToggleButtonGroup
      aria-label={t('shell.language')}
      selectionMode="single"
      disallowEmptySelection
      selectedKeys={[i18n.language]}
      onSelectionChange={(keys) => {
        const [key] = [...keys];
        if (key === 'ja' || key === 'en') setLanguage(key);
      }}
      className="language-switch"
    >
      {LANGUAGES.map((language) => (
        <ToggleButton key={language} id={language} className="toggle" lang={language}>
          {NAMES[language]}
        </ToggleButton>
      ))}
    </ToggleButtonGroup>
  );
}
