// A confirmation that states what will happen before it happens (door actions, revocations).
import type { ReactNode } from 'react';
import { Dialog, DialogTrigger, Heading, Modal, ModalOverlay } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { Button } from './button.tsx';

export function ConfirmDialog({
  trigger,
  title,
  children,
  confirmLabel,
  onConfirm,
  variant = 'primary',
  isDisabled,
}: {
  trigger: string;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => unknown;
  variant?: 'primary' | 'danger';
  isDisabled?: boolean;
}) {
  const { t } = useTranslation();
  return (
    <DialogTrigger>
      <Button variant={variant === 'danger' ? 'danger' : 'secondary'} isDisabled={isDisabled}>
        {trigger}
      </Button>
      <ModalOverlay className="modal-overlay" isDismissable>
        <Modal className="modal">
          <Dialog className="dialog" role="alertdialog">
            {({ close }) => (
              <>
                <Heading slot="title">{title}</Heading>
                <div className="dialog-body">{children}</div>
                <div className="dialog-actions">
                  <Button onPress={close}>{t('common.cancel')}</Button>
                  <Button
                    variant={variant}
                    autoFocus
                    onPress={async () => {
                      await onConfirm();
                      close();
                    }}
                  >
                    {confirmLabel}
                  </Button>
                </div>
              </>
            )}
          </Dialog>
        </Modal>
      </ModalOverlay>
    </DialogTrigger>
  );
}
