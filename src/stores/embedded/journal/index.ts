export { Journal, type JournalOptions, type JournalTarget, type StartupReport } from "./journal.js";
export { FSYNC_POLICIES, type FsyncPolicy } from "./writer.js";
export { nodeFs, type JournalFs } from "./fs.js";
export { DataDirInUseError } from "./lock.js";
export { CorruptFileError } from "./reader.js";
export { RecoveryError } from "./recovery.js";
