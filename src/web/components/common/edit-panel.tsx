// The editing area of a list page: a labelled region that takes focus when it opens, so keyboard
// users land in the form, and gives focus back to the page heading when it closes.
import { type ReactNode, useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { Button } from './button.tsx';

export function EditPanel({
  title,
  onClose,
  children,
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
}) {
  const { t } = useTranslation();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
    heading.current?.scrollIntoView({ block: 'nearest' });
  }, []);
  return (
    <section className="edit-panel" aria-labelledby="edit-panel-title">
      <div className="row">
        <h2 id="edit-panel-title" tabIndex={-1} ref={heading}>
          {title}
        </h2>
        <Button
          variant="quiet"
          onPress={() => {
            onClose();
            document.getElementById('page-title')?.focus();
          }}
        >
          {t('common.close')}
        </Button>
      </div>
      {children}
    </section>
  );
}
