// Form fields with visible labels, descriptions and errors tied to the input (react-aria), so every
// control has an accessible name and a screen reader hears what is wrong.
import type { ReactNode } from 'react';
import {
  Checkbox,
  CheckboxGroup,
  FieldError,
  Input,
  Label,
  ListBox,
  ListBoxItem,
  Popover,
  Button as RacButton,
  Select,
  SelectValue,
  Text,
  TextArea,
  TextField,
  type TextFieldProps,
} from 'react-aria-components';

export function Field({
  label,
  description,
  errorMessage,
  multiline,
  placeholder,
  ...props
}: TextFieldProps & {
  label: string;
  description?: string;
  errorMessage?: string;
  multiline?: boolean;
  placeholder?: string;
}) {
  return (
    <TextField {...props} className="field" isInvalid={errorMessage !== undefined || props.isInvalid}>
      <Label>{label}</Label>
      {multiline ? <TextArea placeholder={placeholder} /> : <Input placeholder={placeholder} />}
      {description && <Text slot="description">{description}</Text>}
      <FieldError>{errorMessage}</FieldError>
    </TextField>
  );
}

export interface Option {
  id: string;
  label: string;
}

export function SelectField({
  label,
  options,
  value,
  onChange,
  description,
  isRequired,
  name,
}: {
  label: string;
  options: Option[];
  value: string | null;
  onChange: (value: string) => void;
  description?: string;
  isRequired?: boolean;
  name?: string;
}) {
  return (
    <Select
      className="field"
      selectedKey={value}
      onSelectionChange={(key) => onChange(String(key))}
      isRequired={isRequired}
      name={name}
    >
      <Label>{label}</Label>
      <RacButton className="select-button">
        <SelectValue />
        <span aria-hidden="true">▾</span>
      </RacButton>
      {description && <Text slot="description">{description}</Text>}
      <Popover className="popover">
        <ListBox className="listbox">
          {options.map((o) => (
            <ListBoxItem key={o.id} id={o.id} className="listbox-item" textValue={o.label}>
              {o.label}
            </ListBoxItem>
          ))}
        </ListBox>
      </Popover>
    </Select>
  );
}

export function CheckboxField({
  children,
  isSelected,
  onChange,
  name,
}: {
  children: ReactNode;
  isSelected: boolean;
  onChange: (value: boolean) => void;
  name?: string;
}) {
  return (
    <Checkbox className="checkbox" isSelected={isSelected} onChange={onChange} name={name}>
      <span className="checkbox-box" aria-hidden="true">
        {isSelected ? '✓' : ''}
      </span>
      {children}
    </Checkbox>
  );
}

/** Several ids from a list (groups, levels, doors), as a group of labelled checkboxes. */
export function IdChecklist({
  label,
  options,
  value,
  onChange,
  empty,
}: {
  label: string;
  options: Option[];
  value: string[];
  onChange: (value: string[]) => void;
  empty?: string;
}) {
  return (
    <CheckboxGroup className="field checklist" value={value} onChange={onChange}>
      <Label>{label}</Label>
      {options.length === 0 && empty && <Text slot="description">{empty}</Text>}
      <div className="checklist-items">
        {options.map((o) => (
          <Checkbox key={o.id} value={o.id} className="checkbox">
            {({ isSelected }) => (
              <>
                <span className="checkbox-box" aria-hidden="true">
                  {isSelected ? '✓' : ''}
                </span>
                {o.label}
              </>
            )}
          </Checkbox>
        ))}
      </div>
    </CheckboxGroup>
  );
}
