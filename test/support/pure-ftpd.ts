// The servers live with the transfer benchmark, which the build ships; the tests use the same code.
export {
  accepts,
  giveToFtpUser,
  startPureFtpd,
  stopProcess,
  waitForPort,
  type PureFtpdServer,
} from '../../bench/transfer/servers.js';
