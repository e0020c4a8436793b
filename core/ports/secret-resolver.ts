/** Resolves a secret's value at run time; only ever given an ARN. */
export interface SecretResolver {
  resolve(secretArn: string): Promise<string>;
}
