// The servers live with the transfer benchmark, which the build ships; the tests use the same code.
export { giveToFtpUser, startPureFtpd, type PureFtpdServer } from '../../bench/transfer/servers.js';
