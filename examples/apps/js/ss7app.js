#!/usr/bin/env node
/*
 * An application of the SS7 gateway on NATS (docs/nats.md), in JavaScript with the `nats`
 * package. It answers SendRoutingInfoForSM as an SMS home-routing HLR would, serves a
 * two-step USSD menu, and with --requests N sends N SendRoutingInfoForSM itself.
 *
 *   node ss7app.js [--server nats://127.0.0.1:4222] [--prefix ss7] [--requests N]
 *
 * Copies may run side by side: they share the events in queue group "apps", and the
 * USSD menu keeps its state in the dialogue's context, so any copy can take the next step.
 */
'use strict';
const { connect, JSONCodec } = require('nats');

const opts = { server: 'nats://127.0.0.1:4222', prefix: 'ss7', requests: 0,
               msisdn: '491719876543', hlr: '491700000006', sc: '491700000100' };
for (let i = 2; i < process.argv.length; i += 2) {
  const key = process.argv[i].replace(/^--/, '');
  if (!(key in opts) || process.argv[i + 1] === undefined) {
    console.error('usage: ss7app.js [--server URL] [--prefix P] [--requests N] [--msisdn D] [--hlr GT] [--sc GT]');
    process.exit(2);
  }
  opts[key] = typeof opts[key] === 'number' ? Number(process.argv[i + 1]) : process.argv[i + 1];
}

const MSC = '491700000008';            /* the node that delivers the SMS: us, home routing */
const count = { sri: 0, menus: 0, ussdEnds: 0, ignored: 0 };
const jc = JSONCodec();

/* The subscriber's IMSI in this demo: MCC-MNC 262-01 and the MSISDN's last ten digits. */
const imsiOf = (msisdn) => '26201' + msisdn.slice(-10).padStart(10, '0');
const ussd = (text) => ({ 'ussd-DataCodingScheme': '0f', 'ussd-String': { text } });
const firstInvoke = (ev) => (ev.components.find((c) => c.invoke) || {}).invoke;
const firstResult = (ev) => (ev.components.find((c) => c.result) || {}).result;

/* (a) SRI-for-SM: the IMSI and ourselves as the serving node, so the SMS comes to us */
function sriForSm(ev) {
  const arg = (firstInvoke(ev) || {}).argument || {};
  const msisdn = (arg.msisdn && arg.msisdn.digits) || '0';
  count.sri++;
  return { result: { imsi: imsiOf(msisdn), locationInfoWithLMSI: { 'networkNode-Number': { digits: MSC } } } };
}

/* (b) USSD, step 1: the subscriber dialled a code; a continue with the menu */
function ussdBegin(ev) {
  count.menus++;
  return {
    components: [{ invoke: { operation: 'unstructuredSS-Request', argument: ussd('1 Balance\n2 Top up') } }],
    context: { menu: 'main' },
  };
}

/* USSD, step 2: the subscriber's choice; the final answer ends the dialogue */
function ussdChoice(ev) {
  const res = firstResult(ev) || {};
  const choice = res.result && res.result['ussd-String'] ? res.result['ussd-String'].text : '';
  const text = { 1: 'Balance: 5.00 EUR', 2: 'Top up: dial *101*code#' }[choice.trim()] || 'Unknown choice';
  count.ussdEnds++;
  return { result: ussd(text) };
}

/* Answer an event the gateway asked about; anything else is someone else's business */
function serve(nc, subject, handler) {
  nc.subscribe(`${opts.prefix}.${subject}`, {
    queue: 'apps',
    callback: (err, msg) => {
      if (err) return;
      let ev;
      try { ev = jc.decode(msg.data); } catch (e) { ev = null; }
      if (!ev || !ev.answer || !msg.reply) { count.ignored++; return; }
      msg.respond(jc.encode(handler(ev)));
    },
  });
}

/* (c) N requests: what came back for each */
async function requests(nc, n) {
  const tally = {};
  for (let i = 1; i <= n; i++) {
    const body = {
      called: { gt: opts.hlr, ssn: 6 },
      argument: { msisdn: { digits: opts.msisdn }, 'sm-RP-PRI': true, serviceCentreAddress: { digits: opts.sc } },
    };
    let line, outcome;
    try {
      const reply = jc.decode((await nc.request(`${opts.prefix}.request.map.sendRoutingInfoForSM`,
                                                jc.encode(body), { timeout: 20000 })).data);
      outcome = reply.outcome;
      const res = reply.components ? firstResult(reply) : null;
      const err = reply.components ? (reply.components.find((c) => c.error) || {}).error : null;
      line = outcome === 'result' && res && res.result ? `imsi ${res.result.imsi}` :
             outcome === 'error' && err ? err.error || err.errorCode : reply.error || reply.cause || '';
    } catch (e) {
      outcome = e.code === '503' ? 'no-gateway' : 'no-reply';
      line = e.message;
    }
    tally[outcome] = (tally[outcome] || 0) + 1;
    console.log(`request ${i}: ${outcome} ${line}`);
  }
  return tally;
}

function summary(tally) {
  const t = tally ? ', requests ' + Object.entries(tally).map(([k, v]) => `${k} ${v}`).join(' ') : '';
  console.log(`ss7app: sri-for-sm ${count.sri}, ussd menus ${count.menus}, ussd ends ${count.ussdEnds}, ` +
              `ignored ${count.ignored}${t}`);
}

(async () => {
  const nc = await connect({ servers: opts.server, name: 'ss7app.js' });
  if (opts.requests > 0) {
    const tally = await requests(nc, opts.requests);
    summary(tally);
    await nc.drain();
    return;
  }
  serve(nc, 'event.map.sendRoutingInfoForSM', sriForSm);
  serve(nc, 'event.map.processUnstructuredSS-Request', ussdBegin);
  serve(nc, 'event.map.unstructuredSS-Request.result', ussdChoice);
  await nc.flush();
  console.log(`ss7app: serving on ${opts.server}, prefix ${opts.prefix}`);
  const stop = async () => { summary(null); await nc.drain(); process.exit(0); };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
})().catch((e) => { console.error(`ss7app: ${e.message}`); process.exit(1); });
