// @vitest-environment node
import { readFileSync } from 'node:fs';
import openapiTS, { astToString } from 'openapi-typescript';
import { expect, it } from 'vitest';

const shared = new URL('../../../shared/', import.meta.url);

it('shared/openapi.d.ts is generated from the current shared/openapi.json (make contract)', async () => {
  const ast = await openapiTS(new URL('openapi.json', shared));
  const generated = astToString(ast);
  const committed = readFileSync(new URL('openapi.d.ts', shared), 'utf8');
  // the CLI adds a banner; compare the types themselves
  const body = (text: string) => text.slice(text.indexOf('export '));
  expect(body(committed)).toBe(body(generated));
});
