// The same app for the cdktf CLI (`cdktf synth` runs it): the stack Pushbutton builds, from the
// same config, in an App whose outdir the CLI chooses. BENCH_WORKSPACE and BENCH_STACK say which.
import { loadConfig } from '@pushbutton/nx-plugin/src/config/load-config';
import { buildStack } from '@pushbutton/stacks';
import { unitCode } from '@pushbutton/nx-plugin/src/steps/kinds';

const { app } = buildStack(unitCode('stack', process.env.BENCH_STACK!), process.env.BENCH_STACK!, loadConfig(process.env.BENCH_WORKSPACE!, 'config'));
app.synth();
