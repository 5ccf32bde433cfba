import { once } from 'node:events';
import { connect as connectTcp, type AddressInfo, type Socket } from 'node:net';
import { connect as connectTls, createServer, type TLSSocket } from 'node:tls';

/**
 * An implicit-FTPS front for an FTP server that only speaks explicit TLS (pure-ftpd has no
 * implicit mode): it takes TLS from the first byte on its own port, opens the upstream control
 * connection with `AUTH TLS` itself, and from then on passes the bytes through. The upstream
 * greeting goes to the client as the server's; PBSZ, PROT P and everything else reach the real
 * server, and the data connections go to it directly, TLS-protected as with implicit FTPS.
 */
export async function startImplicitTlsFront(options: {
  upstreamPort: number;
  cert: string;
  key: string;
}): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer({ cert: options.cert, key: options.key }, (client) => {
    sockets.add(client);
    client.pause();
    const upstream = connectTcp(options.upstreamPort, '127.0.0.1');
    sockets.add(upstream);
    const fail = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', fail);
    upstream.on('error', fail);
    void (async () => {
      const greeting = await reply(upstream);
      upstream.write('AUTH TLS\r\n');
      const auth = await reply(upstream);
      if (!auth.startsWith('234')) throw new Error(`upstream refused AUTH TLS: ${auth}`);
      const secure: TLSSocket = connectTls({ socket: upstream, ca: options.cert, servername: 'localhost' });
      await once(secure, 'secureConnect');
      sockets.add(secure);
      secure.on('error', fail);
      secure.on('close', () => client.destroy());
      client.on('close', () => secure.destroy());
      client.write(greeting);
      client.pipe(secure);
      secure.pipe(client);
      client.resume();
    })().catch(fail);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

/** Reads one FTP reply (all its lines, up to `NNN text`) and nothing after it. */
async function reply(socket: Socket): Promise<string> {
  let text = '';
  for (;;) {
    const chunk =
      (socket.read() as Buffer | null) ?? (await once(socket, 'readable').then(() => socket.read() as Buffer | null));
    if (chunk === null) {
      if (socket.readableEnded) throw new Error('upstream closed before its reply ended');
      continue;
    }
    text += chunk.toString('latin1');
    const lines = text.split('\r\n');
    const code = lines[0]!.slice(0, 3);
    const end = lines.findIndex((line) => line.startsWith(`${code} `));
    if (end >= 0) {
      const length = lines.slice(0, end + 1).join('\r\n').length + 2;
      const rest = text.slice(length);
      if (rest.length > 0) socket.unshift(Buffer.from(rest, 'latin1'));
      return text.slice(0, length);
    }
  }
}
