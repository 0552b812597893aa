// The reliability suite's bad input (issue 6), end to end (simulator over HTTP, the state machine, real Spark, real
// PostgreSQL): drift (new, missing, null, mistyped fields), broken, truncated and malformed bodies, a record without
// its key, unicode, control characters, spaces and very long names, exactly 100 medias (a full page, then an empty
// one): "bad input"; and "an empty account" (test/reliability/bad-input.ts). Then the token scan over their data dirs
// and warehouses (test/reliability/token.ts). The week of faults is test/reliability.test.ts, whose header says where
// each reliability point is proven; the two files share test/reliability/context.ts (one Spark worker per file).
import { useSuiteHooks } from './reliability/context.ts';
import { describeBadInput, describeEmptyAccount } from './reliability/bad-input.ts';
import { describeTokenScan } from './reliability/token.ts';

useSuiteHooks();
describeBadInput();
describeEmptyAccount();
describeTokenScan(0); // no CLI runs here
