import type { FastifyServerOptions } from "fastify";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/**
 * fastify's own schema compilers (ajv for requests, fast-json-stringify for
 * replies), each route's schema compiled on that route's first request
 * rather than all of them at start-up: compiling every route's schemas was
 * most of the HTTP door's start-up time (docs/performance.md "Start-up").
 * The first request of a route pays its compile once (about a millisecond;
 * the door's first such request also loads ajv and fast-json-stringify,
 * about 0.25 s on the development VM); what is validated and how is
 * unchanged. test/http/schemas.test.ts compiles
 * every route's schemas, so a schema that does not compile fails a test
 * rather than a first request.
 *
 * fastify counts a compilers factory as custom and then hands header schemas
 * over as written rather than with their property names lower-cased: docket's
 * header schemas are written in lower case.
 */

interface Validate {
  (data: unknown, context?: unknown): unknown;
  errors?: unknown;
  schemaEnv?: unknown;
}
type Serialize = (doc: unknown) => string;
type RouteSchema = Record<string, unknown>;
type Builder<F> = (externalSchemas: unknown, options: unknown) => (route: RouteSchema) => F;
/** fastify's `schemaController.compilersFactory` option */
export type CompilersFactory = NonNullable<FastifyServerOptions["schemaController"]>["compilersFactory"];

/** a compilers module's export: (external schemas, options) => (route) => compiled function */
function load<F>(module: string): Builder<F> {
  return (require(module) as () => Builder<F>)();
}

/** The schemas of one fastify instance, compiled when first used. */
export class LazySchemas {
  /** each route schema's compile (done at most once), in the order fastify handed them over */
  private readonly compiles: Array<() => unknown> = [];
  private compiledCount = 0;
  // the compilers' modules (ajv, fast-json-stringify) load with the first compile too
  private validators: Builder<Validate> | undefined;
  private serializers: Builder<Serialize> | undefined;

  /** how many route schemas have been compiled so far */
  get compiled(): number {
    return this.compiledCount;
  }

  /** how many route schemas fastify has handed over */
  get schemas(): number {
    return this.compiles.length;
  }

  /** Compiles every schema not compiled yet (tests: each must compile). */
  compileAll(): void {
    for (const compile of this.compiles) compile();
  }

  /** fastify's `schemaController.compilersFactory` */
  factory(): CompilersFactory {
    const factory: { buildValidator: Builder<Validate>; buildSerializer: Builder<Serialize> } = {
      buildValidator: (external, options) => (route) => {
        const compiled = this.lazily(() =>
          (this.validators ??= load("@fastify/ajv-compiler"))(external, options)(route),
        );
        const validate: Validate = (data, context) => {
          const ajv = compiled();
          const valid = ajv(data, context);
          validate.errors = ajv.errors;
          return valid;
        };
        // fastify passes the parent (so that ajv may coerce a root value) only to functions with this set
        validate.schemaEnv = true;
        return validate;
      },
      buildSerializer: (external, options) => (route) => {
        const compiled = this.lazily(() =>
          (this.serializers ??= load("@fastify/fast-json-stringify-compiler"))(external, options)(route),
        );
        return (doc) => compiled()(doc);
      },
    };
    // fastify's types describe ajv's own compile function; ours takes and returns the same
    return factory as unknown as CompilersFactory;
  }

  /** `compile`, run once when first wanted */
  private lazily<F>(compile: () => F): () => F {
    let compiled: F | undefined;
    const once = (): F => {
      if (compiled === undefined) {
        compiled = compile();
        this.compiledCount++;
      }
      return compiled;
    };
    this.compiles.push(once);
    return once;
  }
}
