// The servers live with the transfer benchmark, which the build ships; the tests use the same code.
export { startSshd, type SshdServer } from '../../bench/transfer/servers.js';
