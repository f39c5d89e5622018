export interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: 'scalar' | 'enum' | 'object' | 'unsupported';
  type: string;
  isList: boolean;
  isRequired: boolean;
  hasDefaultValue: boolean;
  isUpdatedAt: boolean;
  nativeType: [string, string[]] | null;
}
export interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
}
export interface DmmfEnum {
  name: string;
  dbName: string | null;
  values: { name: string; dbName: string | null }[];
}
export interface Datamodel {
  models: DmmfModel[];
  enums: DmmfEnum[];
}
export const repoRoot: string;
export const schemaPath: string;
export function loadDatamodel(file?: string): Promise<Datamodel>;
