import type { ReactNode } from 'react';
import { Button as AriaButton, type ButtonProps } from 'react-aria-components';

export function Button({
  variant = 'secondary',
  className,
  ...props
}: ButtonProps & { variant?: 'primary' | 'secondary' | 'danger' | 'quiet'; children?: ReactNode }) {
  return <AriaButton {...props} className={`button button-${variant} ${className ?? ''}`} />;
}
