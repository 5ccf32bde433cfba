import type { JsMsg, Msg } from 'nats';
import { emptyContext, mergeContexts, type MessageContext } from '../../domain/context/index.js';
import { NATS } from './context.js';
import { headerProperties } from './headers.js';

/** `NATS.Subject` and every header promoted (they route); the reply subject written. */
export function coreMessageContext(msg: Msg): MessageContext {
  let context = NATS.promote(emptyContext(), 'Subject', msg.subject);
  if (msg.reply) context = NATS.write(context, 'ReplyTo', msg.reply);
  return mergeContexts(context, { promoted: headerProperties(msg.headers), written: {} });
}

/** As for core, plus where the message sits in its stream and how often it was delivered (written). */
export function jetStreamMessageContext(msg: JsMsg): MessageContext {
  let context = NATS.promote(emptyContext(), 'Subject', msg.subject);
  const info = msg.info;
  context = NATS.write(context, 'Stream', info.stream);
  context = NATS.write(context, 'StreamSequence', info.streamSequence);
  context = NATS.write(context, 'Consumer', info.consumer);
  context = NATS.write(context, 'ConsumerSequence', info.deliverySequence);
  context = NATS.write(context, 'DeliveryCount', info.redeliveryCount);
  context = NATS.write(context, 'Timestamp', new Date(Math.floor(info.timestampNanos / 1e6)).toISOString());
  return mergeContexts(context, { promoted: headerProperties(msg.headers), written: {} });
}
