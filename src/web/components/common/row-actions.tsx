// The edit and delete buttons of a table row, the same on every list of site objects: edit opens
// the row's form, delete asks first and says what deleting this kind of object does.
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Button } from './button.tsx';
import { ConfirmDialog } from './confirm-dialog.tsx';

export function RowActions({
  name,
  onEdit,
  onDelete,
  deleteEffect,
  children,
}: {
  /** The row's name, in the buttons' labels and the confirmation's title. */
  name: string;
  onEdit: () => void;
  onDelete: () => unknown;
  /** What deleting it does, shown before the operator confirms. */
  deleteEffect: string;
  /** Further actions, shown before edit. */
  children?: ReactNode;
}) {
  const { t } = useTranslation();
  return (
    <div className="row">
      {children}
      <Button onPress={onEdit} aria-label={t('common.editNamed', { name })}>
        {t('common.edit')}
      </Button>
      <ConfirmDialog
        trigger={t('common.delete')}
        title={t('common.deleteNamed', { name })}
        confirmLabel={t('common.delete')}
        variant="danger"
        onConfirm={onDelete}
      >
        <p>{deleteEffect}</p>
      </ConfirmDialog>
    </div>
  );
}
