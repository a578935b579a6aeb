export { attacksFor, type AttackMapping } from './attack.js';
export { clip, LIMITS } from './bound.js';
export { ECS_VERSION, findingToEcs, incidentChangeToEcs, type EcsDocument } from './ecs.js';
export {
  OCSF_VERSION,
  findingToOcsf,
  incidentChangeToOcsf,
  revises,
  type OcsfAttack,
  type OcsfDetectionFinding,
  type OcsfEvidence,
  type OcsfFindingInfo,
  type OcsfMetadata,
  type OcsfObservable,
  type OcsfResource,
} from './ocsf.js';
export { productOf, type Product, type SiemOptions } from './options.js';
