// The one definition of SidecarTemplate. The TypeScript type, the runtime validation
// (validate.ts) and the CRD's OpenAPI schema (crdSchema.ts) are all derived from it.
import { type Static, type TSchema, Type } from '@sinclair/typebox';

export const GROUP = 'sidecar.injector.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'SidecarTemplate';
export const PLURAL = 'sidecartemplates';

/** A string that is exactly one `${params.NAME}` placeholder. */
export const PLACEHOLDER_ONLY = '^\\$\\{params\\.[a-z][a-z0-9-]*\\}$';
export const PARAMETER_NAME = '^[a-z][a-z0-9-]*$';

/**
 * `x-crd` replaces a node when the CRD schema is generated: structural schemas cannot say
 * "an integer or a placeholder string", so the CRD gets int-or-string (or a free scalar).
 */
const CRD = 'x-crd';

/** An integer that may also be written as a placeholder of an integer parameter. */
const IntOrPlaceholder = (description?: string) =>
  Type.Union([Type.Integer(), Type.String({ pattern: PLACEHOLDER_ONLY })], {
    description,
    [CRD]: { 'x-kubernetes-int-or-string': true },
  });

/** A boolean that may also be written as a placeholder of a boolean parameter. */
const BoolOrPlaceholder = (description?: string) =>
  Type.Union([Type.Boolean(), Type.String({ pattern: PLACEHOLDER_ONLY })], {
    description,
    [CRD]: { 'x-kubernetes-preserve-unknown-fields': true },
  });

/** Fields this schema does not spell out are kept, and checked after rendering. */
const open = { additionalProperties: true, 'x-kubernetes-preserve-unknown-fields': true } as const;

export const LabelSelectorRequirement = Type.Object(
  {
    key: Type.String({ minLength: 1 }),
    operator: Type.Union([
      Type.Literal('In'),
      Type.Literal('NotIn'),
      Type.Literal('Exists'),
      Type.Literal('DoesNotExist'),
    ]),
    values: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: false },
);

export const LabelSelector = Type.Object(
  {
    matchLabels: Type.Optional(
      Type.Record(Type.String(), Type.String(), {
        [CRD]: { type: 'object', additionalProperties: { type: 'string' } },
      }),
    ),
    matchExpressions: Type.Optional(Type.Array(LabelSelectorRequirement)),
  },
  { additionalProperties: false },
);

export const ContainerPort = Type.Object(
  {
    name: Type.Optional(Type.String()),
    containerPort: IntOrPlaceholder('Port number; may be a placeholder of an integer parameter.'),
    protocol: Type.Optional(Type.String()),
  },
  open,
);

export const EnvVar = Type.Object({ name: Type.String({ minLength: 1 }), value: Type.Optional(Type.String()) }, open);

export const VolumeMount = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    mountPath: Type.String({ minLength: 1 }),
    readOnly: Type.Optional(BoolOrPlaceholder()),
    subPath: Type.Optional(Type.String()),
  },
  open,
);

/** A core/v1 Container: the fields the injector reasons about are typed, the rest kept. */
export const Container = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    image: Type.Optional(Type.String()),
    ports: Type.Optional(Type.Array(ContainerPort)),
    env: Type.Optional(Type.Array(EnvVar)),
    volumeMounts: Type.Optional(Type.Array(VolumeMount)),
    restartPolicy: Type.Optional(Type.String()),
  },
  open,
);

/** A core/v1 Volume. */
export const Volume = Type.Object({ name: Type.String({ minLength: 1 }) }, open);

const Scalar = Type.Union([Type.String(), Type.Integer(), Type.Boolean()], {
  [CRD]: { 'x-kubernetes-preserve-unknown-fields': true },
});

/** A bound: a number, or for quantity parameters a quantity such as `512Mi`. */
const Bound = Type.Union([Type.Number(), Type.String()], { [CRD]: { 'x-kubernetes-int-or-string': true } });

export const ParameterType = Type.Union([
  Type.Literal('string'),
  Type.Literal('integer'),
  Type.Literal('boolean'),
  Type.Literal('quantity'),
]);

export const Parameter = Type.Object(
  {
    name: Type.String({ pattern: PARAMETER_NAME }),
    type: Type.Optional(ParameterType),
    description: Type.Optional(Type.String()),
    default: Type.Optional(Scalar),
    pattern: Type.Optional(Type.String()),
    enum: Type.Optional(Type.Array(Scalar, { minItems: 1 })),
    minimum: Type.Optional(Bound),
    maximum: Type.Optional(Bound),
    required: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const AppContainers = Type.Object(
  {
    containers: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    volumeMounts: Type.Optional(Type.Array(VolumeMount)),
    env: Type.Optional(Type.Array(EnvVar)),
  },
  { additionalProperties: false },
);

export const Mode = Type.Union([Type.Literal('Auto'), Type.Literal('Native'), Type.Literal('Classic')]);
export const OnConflict = Type.Union([Type.Literal('Reject'), Type.Literal('Skip')]);

export const SidecarTemplateSpec = Type.Object(
  {
    description: Type.Optional(Type.String()),
    selector: Type.Optional(
      Type.Object(
        { namespaceSelector: Type.Optional(LabelSelector), podSelector: Type.Optional(LabelSelector) },
        { additionalProperties: false },
      ),
    ),
    mode: Type.Optional(Mode),
    onConflict: Type.Optional(OnConflict),
    parameters: Type.Optional(Type.Array(Parameter)),
    initContainers: Type.Optional(Type.Array(Container)),
    containers: Type.Optional(Type.Array(Container)),
    volumes: Type.Optional(Type.Array(Volume)),
    appContainers: Type.Optional(AppContainers),
  },
  { additionalProperties: false },
);

export const SidecarTemplateSchema = Type.Object(
  {
    apiVersion: Type.Literal(API_VERSION),
    kind: Type.Literal(KIND),
    metadata: Type.Object({ name: Type.String({ minLength: 1 }) }, { additionalProperties: true }),
    spec: SidecarTemplateSpec,
  },
  { additionalProperties: true },
);

export type SidecarTemplate = Static<typeof SidecarTemplateSchema>;
export type SidecarTemplateSpec = Static<typeof SidecarTemplateSpec>;
export type ParameterDeclaration = Static<typeof Parameter>;
export type ParameterTypeName = Static<typeof ParameterType>;
export type LabelSelector = Static<typeof LabelSelector>;
export type ModeName = Static<typeof Mode>;
export type OnConflictName = Static<typeof OnConflict>;

/** Exposed for the CRD generator. */
export const CRD_OVERRIDE_KEY = CRD;
export type Schema = TSchema;
