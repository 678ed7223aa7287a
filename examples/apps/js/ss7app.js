#!/usr/bin/env node
/*
 * An application of the SS7 gateway on NATS (docs/nats.md), in JavaScript with the `nats`
 * package. It answers SendRoutingInfoForSM as an SMS home-routing HLR would and MO-ForwardSM
 * as an SMSC would, serves a USSD menu with submenus, and is an SMSC client: --sms N delivers
 * N short messages (SendRoutingInfoForSM to the HLR, then MT-ForwardSM to the MSC it names).
 *
 *   node ss7app.js [--server nats://127.0.0.1:4222] [--prefix ss7] [--sms N | --requests N] [--hlr GT]
 *
 * Copies may run side by side: they share the events in queue group "apps", and the
 * USSD menu keeps its state in the dialogue's context, so any copy can take the next step.
 */
'use strict';
const { connect, JSONCodec } = require('nats');

const opts = { server: 'nats://127.0.0.1:4222', prefix: 'ss7', requests: 0, sms: 0,
               msisdn: '491719876543', hlr: '491700000006', sc: '491700000100' };
for (let i = 2; i < process.argv.length; i += 2) {
  const key = process.argv[i].replace(/^--/, '');
  if (!(key in opts) || process.argv[i + 1] === undefined) {
    console.error('usage: ss7app.js [--server URL] [--prefix P] [--sms N | --requests N] [--msisdn D] [--hlr GT] [--sc GT]');
    process.exit(2);
  }
  opts[key] = typeof opts[key] === 'number' ? Number(process.argv[i + 1]) : process.argv[i + 1];
}

const MSC = '491700000008';            /* the node that delivers the SMS: us, home routing */
const count = { sri: 0, mo: 0, menus: 0, submenus: 0, ussdEnds: 0, ignored: 0 };
const jc = JSONCodec();

/* The subscriber's IMSI in this demo: MCC-MNC 262-01 and the MSISDN's last ten digits. */
const imsiOf = (msisdn) => '26201' + msisdn.slice(-10).padStart(10, '0');
const isdn = (digits) => ({ nature: 'international', plan: 'isdn', digits });
const ussd = (text) => ({ 'ussd-DataCodingScheme': '0f', 'ussd-String': { text } });
const first = (ev, kind) => ((ev.components || []).find((c) => c[kind]) || {})[kind];

/* (a) SRI-for-SM: the IMSI and ourselves as the serving node, so the SMS comes to us */
function sriForSm(ev) {
  const arg = (first(ev, 'invoke') || {}).argument || {};
  const msisdn = (arg.msisdn && arg.msisdn.digits) || '0';
  count.sri++;
  return { result: { imsi: imsiOf(msisdn), locationInfoWithLMSI: { 'networkNode-Number': isdn(MSC) } } };
}

/* (b) MO-ForwardSM: we are the sender's SMSC. Show the message and take it: the v3 result
 * carries the SMS-SUBMIT-REPORT (RP-ACK; the codec stamps it with the current time). */
function moForwardSm(ev) {
  const arg = (first(ev, 'invoke') || {}).argument || {};
  const tpdu = arg['sm-RP-UI'] || {};
  const from = arg['sm-RP-OA'] && arg['sm-RP-OA'].msisdn ? arg['sm-RP-OA'].msisdn.digits : '';
  console.log(`mo-sms from ${from} to ${tpdu.da ? tpdu.da.digits : ''}: ${tpdu.text || ''}`);
  count.mo++;
  return { result: { 'sm-RP-UI': { type: 'SMS-SUBMIT-REPORT' } } };
}

/* (c) USSD: the main menu, a submenu, the final answer. In each menu a choice shows a
 * submenu (`next`: the dialogue continues) or, without next, the final text. */
const MAIN_MENU = '1 Balance\n2 Top up';
const USSD_MENU = {
  main: { 1: { text: 'Balance of\n1 Money\n2 Data', next: 'balance' },
          2: { text: 'Top up by\n1 5 EUR\n2 10 EUR', next: 'topup' } },
  balance: { 1: { text: 'Balance: 5.00 EUR' }, 2: { text: 'Data left: 1.50 GB' } },
  topup: { 1: { text: 'Topped up 5.00 EUR' }, 2: { text: 'Topped up 10.00 EUR' } },
};

/* a continue with a menu (an unstructuredSS-Request); the context says which one it is */
const ussdShow = (text, menu) => ({
  components: [{ invoke: { operation: 'unstructuredSS-Request', argument: ussd(text) } }],
  context: { menu },
});

/* the subscriber dialled a code */
function ussdBegin(ev) {
  count.menus++;
  return ussdShow(MAIN_MENU, 'main');
}

/* the subscriber's choice in the menu the context names: a submenu, or the final result */
function ussdChoice(ev) {
  const res = (first(ev, 'result') || {}).result || {};
  const choice = res['ussd-String'] ? res['ussd-String'].text : '';
  const menu = USSD_MENU[(ev.context || {}).menu] || {};
  const step = Object.hasOwn(menu, choice) ? menu[choice] : { text: 'Unknown choice' };
  if (step.next) {
    count.submenus++;
    return ussdShow(step.text, step.next);
  }
  count.ussdEnds++;
  return { result: ussd(step.text) };
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

/* --- (d) the SMSC client: requests towards the network --- */

/* Request an operation: the reply; when none came, one made up here with outcome
 * "no-gateway" (no responders) or "no-reply" */
async function request(nc, operation, body) {
  try {
    return jc.decode((await nc.request(`${opts.prefix}.request.map.${operation}`, jc.encode(body),
                                       { timeout: 20000 })).data);
  } catch (e) {
    return { outcome: e.code === '503' ? 'no-gateway' : 'no-reply', error: e.message };
  }
}

const noReply = (r) => String(r.outcome).startsWith('no-');

/* what a reply says beyond its outcome: the user error's name, or why it was refused */
const why = (r) => { const e = first(r, 'error'); return e ? e.error || e.errorCode : r.error || ''; };

/* SendRoutingInfoForSM to the HLR: where is the subscriber? */
const sriRequest = () => ({
  called: { gt: opts.hlr, ssn: 6 },
  argument: { msisdn: isdn(opts.msisdn), 'sm-RP-PRI': true, serviceCentreAddress: isdn(opts.sc) },
});

/* MT-ForwardSM to the MSC the HLR named, for the IMSI it gave; the message is an
 * SMS-DELIVER TPDU (TS 23.040) from an alphanumeric sender, time-stamped by the codec */
const mtRequest = (imsi, msc, text) => ({
  called: { gt: msc, ssn: 8 },
  argument: {
    'sm-RP-DA': { imsi },
    'sm-RP-OA': { serviceCentreAddressOA: isdn(opts.sc) },
    'sm-RP-UI': { type: 'SMS-DELIVER', oa: { nature: 'alphanumeric', text: 'ss7app' }, text },
  },
});

/* --sms N: each message takes two dialogues, SRI-for-SM then MT-ForwardSM */
async function sendSms(nc, n) {
  const tally = { delivered: 0, failed: 0, lost: 0 };
  for (let i = 1; i <= n; i++) {
    const sri = await request(nc, 'sendRoutingInfoForSM', sriRequest());
    const res = (sri.outcome === 'result' && first(sri, 'result')?.result) || {};
    const imsi = res.imsi, msc = res.locationInfoWithLMSI?.['networkNode-Number']?.digits;
    let mt = null;
    if (sri.outcome === 'result') {
      mt = await request(nc, 'mt-ForwardSM', mtRequest(imsi, msc, `Hello from ss7app.js, message ${i} of ${n}`));
    }
    if (mt && mt.outcome === 'result') {
      console.log(`sms ${i}: delivered to imsi ${imsi} via msc ${msc}`);
      tally.delivered++;
    } else {
      const last = mt || sri;
      console.log(`sms ${i}: ${mt ? 'mt-ForwardSM' : 'sendRoutingInfoForSM'} ${last.outcome} ${why(last)}`);
      tally[noReply(last) ? 'lost' : 'failed']++;
    }
  }
  console.log(`ss7app: sms ${n}: delivered ${tally.delivered}, failed ${tally.failed}, no reply ${tally.lost}`);
  return tally.lost ? 1 : 0;
}

/* --requests N: only the SRI-for-SM, each reply's outcome */
async function sendRequests(nc, n) {
  const tally = { result: 0, other: 0, lost: 0 };
  for (let i = 1; i <= n; i++) {
    const r = await request(nc, 'sendRoutingInfoForSM', sriRequest());
    if (r.outcome === 'result') {
      console.log(`request ${i}: result imsi ${first(r, 'result').result.imsi}`);
      tally.result++;
    } else {
      console.log(`request ${i}: ${r.outcome} ${why(r)}`);
      tally[noReply(r) ? 'lost' : 'other']++;
    }
  }
  console.log(`ss7app: requests ${n}: result ${tally.result}, other outcome ${tally.other}, no reply ${tally.lost}`);
  return tally.lost ? 1 : 0;
}

(async () => {
  const nc = await connect({ servers: opts.server, name: 'ss7app.js' });
  if (opts.sms > 0 || opts.requests > 0) {
    process.exitCode = opts.sms > 0 ? await sendSms(nc, opts.sms) : await sendRequests(nc, opts.requests);
    await nc.drain();
    return;
  }
  serve(nc, 'event.map.sendRoutingInfoForSM', sriForSm);
  serve(nc, 'event.map.mo-ForwardSM', moForwardSm);
  serve(nc, 'event.map.processUnstructuredSS-Request', ussdBegin);
  serve(nc, 'event.map.unstructuredSS-Request.result', ussdChoice);
  await nc.flush();
  console.log(`ss7app: serving on ${opts.server}, prefix ${opts.prefix}`);
  const stop = async () => {
    console.log(`ss7app: sri-for-sm ${count.sri}, mo-forward-sm ${count.mo}, ussd menus ${count.menus}, ` +
                `ussd submenus ${count.submenus}, ussd ends ${count.ussdEnds}, ignored ${count.ignored}`);
    await nc.drain();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
})().catch((e) => { console.error(`ss7app: ${e.message}`); process.exit(1); });
