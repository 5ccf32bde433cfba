export { ANCHOR_STREAM, anchorHash, entryOf, streamTag } from './anchor-format.js';
export {
  AnchorWriter,
  runAnchorLoop,
  writeAnchor,
  type AnchorData,
  type AnchorLoopOptions,
  type AnchorOptions,
  type AnchorOutcome,
  type WriteAnchorResult,
} from './anchor-writer.js';
export type { AuditRow, AuditSource, StreamRetention } from './audit-source.js';
export { openSqliteAuditSource } from './sqlite-source.js';
export {
  verifyAudit,
  type AuditFailure,
  type AuditFailureKind,
  type AuditReport,
  type VerifyOptions,
} from './verify.js';
