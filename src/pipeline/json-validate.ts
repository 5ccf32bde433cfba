import { Ajv, type ErrorObject, type Options, type SchemaObject } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formatsModule from 'ajv-formats';
import type { PipelineComponent } from './component.js';
import { ComponentProblem, PipelineConfigInvalid, type PipelineStepRef } from './errors.js';

// ajv-formats is CommonJS whose `module.exports` is the plugin and also carries it as `.default`;
// under NodeNext the default import is typed as the module object, so take `.default`.
const addFormats = formatsModule.default;

const options: Options = {
  // Stop at the first error: collecting all of them costs time on large hostile bodies, and the
  // suspension reason names one problem anyway.
  allErrors: false,
  // Unknown keywords and formats refuse the schema at configuration time rather than silently
  // validating less than the author meant. The stricter checks (union types, tuples, required
  // properties without a definition) refuse schemas that are valid JSON Schema, so they stay off.
  strictSchema: true,
  strictNumbers: true,
  strictTypes: false,
  strictTuples: false,
  strictRequired: false,
};

/**
 * Parses the body as UTF-8 JSON and validates it against `schema`, compiled once here. The draft
 * follows the schema's `$schema`: 2020-12, 2019-09, otherwise draft-07 (ajv's default).
 */
export function jsonValidate(schema: Record<string, unknown>, ref: PipelineStepRef): PipelineComponent {
  const dialect = typeof schema.$schema === 'string' ? schema.$schema : '';
  const ajv = dialect.includes('2020-12')
    ? new Ajv2020(options)
    : dialect.includes('2019-09')
      ? new Ajv2019(options)
      : new Ajv(options);
  addFormats(ajv);
  // An $async schema validates through a promise; nothing here needs one (no async keywords).
  if (schema.$async === true) throw new PipelineConfigInvalid(ref, 'asynchronous schemas ($async) are not supported');
  let validate;
  try {
    validate = ajv.compile(schema as SchemaObject);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new PipelineConfigInvalid(ref, `the JSON schema is refused: ${message}`, { cause: error });
  }

  return {
    name: 'json-validate',
    process(message, bodies) {
      const value = bodies.json(message.body);
      if (!validate(value)) {
        const error = validate.errors?.[0];
        if (error === undefined)
          throw new ComponentProblem('JSON_SCHEMA_MISMATCH', 'the body does not match the schema');
        const at = error.instancePath || '(root)';
        throw new ComponentProblem(
          'JSON_SCHEMA_MISMATCH',
          `the body does not match the schema: ${at} ${error.message ?? 'is invalid'}${paramsText(error)} (schema ${error.schemaPath})`,
          { instancePath: error.instancePath, schemaPath: error.schemaPath },
        );
      }
      return [message];
    },
  };
}

/** The parameter that makes ajv's message actionable, for the keywords whose message leaves it out. */
function paramsText(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'additionalProperties') return ` ("${String(params.additionalProperty)}")`;
  if (error.keyword === 'unevaluatedProperties') return ` ("${String(params.unevaluatedProperty)}")`;
  if (error.keyword === 'enum') return `: ${JSON.stringify(params.allowedValues)}`;
  if (error.keyword === 'const') return `: ${JSON.stringify(params.allowedValue)}`;
  return '';
}
