import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../src/config/config-error';
import { loadConfig } from '../src/config/load-config';

const SHIPPED_CONFIG = join(__dirname, '../../../config');

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'pushbutton-config-'));
  cpSync(SHIPPED_CONFIG, join(root, 'config'), { recursive: true });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const read = (file: string) => readFileSync(join(root, 'config', file), 'utf8');
const write = (file: string, text: string) => writeFileSync(join(root, 'config', file), text);
const edit = (file: string, from: string | RegExp, to: string) => {
  const before = read(file);
  const after = before.replace(from, to);
  if (after === before) throw new Error(`test setup: ${String(from)} not found in ${file}`);
  write(file, after);
};

function configError(): ConfigError {
  try {
    loadConfig(root, 'config');
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected the config to be rejected');
}

describe('the shipped config', () => {
  it('is valid and resolves to the settings the stacks are built from', () => {
    const config = loadConfig(root, 'config');
    expect(config.project).toEqual({
      name: 'pushbutton-demo',
      region: 'us-west-2',
      tags: { Owner: 'research-engineering', CostCenter: 'genomics' },
      state: { backend: 'local' },
    });
    expect(config.network).toEqual({
      vpcCidr: '10.20.0.0/16',
      subnet: { cidr: '10.20.1.0/24', availabilityZone: 'us-west-2a' },
      ingress: {},
    });
  });

  it('resolves core devices and client devices to IoT thing names', () => {
    const { core } = loadConfig(root, 'config');
    expect(core?.thingGroupName).toBe('pushbutton-demo-cores');
    expect(core?.clientThingGroupName).toBe('pushbutton-demo-clients');
    expect(core?.coreDevices).toEqual({ 'lab-gateway': { name: 'lab-gateway', thingName: 'pushbutton-demo-lab-gateway', sshPort: 22 } });
    expect(core?.clientDevices).toEqual({
      'lab-sensor': { name: 'lab-sensor', thingName: 'pushbutton-demo-lab-sensor', coreDevice: 'lab-gateway', topic: 'lab/sensors/lab-sensor' },
    });
    expect(core?.greengrass).toEqual({ nucleusVersion: '2.16.1', rootPath: '/greengrass/v2', componentUser: 'ggc_user', componentGroup: 'ggc_group', port443: false });
  });

  it('names the thing groups as configured', () => {
    edit('core.yaml', 'clientDeviceGroup: PushbuttonClients', 'clientDeviceGroup: PushbuttonClients\nthingGroups:\n  cores: lab-edge\n  clients: lab-testers');
    const { core } = loadConfig(root, 'config');
    expect([core?.thingGroupName, core?.clientThingGroupName]).toEqual(['lab-edge', 'lab-testers']);
  });

  it("resolves a client's broker address for its broker test, on port 8883 unless given", () => {
    edit('core.yaml', 'topic: lab/sensors/lab-sensor', 'topic: lab/sensors/lab-sensor\n    broker: gateway.lab.example');
    expect(loadConfig(root, 'config').core?.clientDevices['lab-sensor'].broker).toEqual({ host: 'gateway.lab.example', port: 8883 });
    edit('core.yaml', 'broker: gateway.lab.example', 'broker: 192.0.2.10:1884');
    expect(loadConfig(root, 'config').core?.clientDevices['lab-sensor'].broker).toEqual({ host: '192.0.2.10', port: 1884 });
  });

  it('resolves ingress ports and the S3 backend defaults', () => {
    edit('network.yaml', 'ingress: {}', 'ingress:\n  web:\n    protocol: tcp\n    port: 443\n    cidr: 203.0.113.0/24\n  ping:\n    protocol: icmp\n    cidr: 10.0.0.0/8\n');
    edit('project.yaml', 'backend: local', 'backend: s3\n  bucket: lab-terraform-state');
    const config = loadConfig(root, 'config');
    expect(config.network?.ingress).toEqual({
      web: { description: 'Allowed by config/network.yaml', protocol: 'tcp', fromPort: 443, toPort: 443, cidr: '203.0.113.0/24' },
      ping: { description: 'Allowed by config/network.yaml', protocol: 'icmp', fromPort: -1, toPort: -1, cidr: '10.0.0.0/8' },
    });
    expect(config.project.state).toEqual({
      backend: 's3',
      bucket: 'lab-terraform-state',
      keyPrefix: 'pushbutton',
      region: 'us-west-2',
      useLockfile: true,
    });
  });
});

const ingress = (rule: string) => ['network.yaml', 'ingress: {}', `ingress:\n  lab:\n${rule}`] as const;

// Each bad config: the edit that breaks it, and the exact message line it must produce.
const badConfigs: [string, readonly [string, string | RegExp, string], string | RegExp][] = [
  ['an uppercase project name', ['project.yaml', 'name: pushbutton-demo', 'name: Pushbutton_Demo'],
    'config/project.yaml:5:7 name: expected 3 to 32 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen; found "Pushbutton_Demo"'],
  // The provider's bucket_prefix limit (37) less "-results-": AWS would refuse it at plan time otherwise.
  ['a project name too long for the results bucket', ['project.yaml', 'name: pushbutton-demo', 'name: pushbutton-genomics-lab-basel'],
    'config/project.yaml:5:7 name: expected a name of at most 28 characters with the workflow step: the results bucket\'s name prefix "<name>-results-" may be at most 37 characters (S3\'s 63, less the 26 Terraform appends); found "pushbutton-genomics-lab-basel" (29 characters)'],
  ['a region that is not a region name', ['project.yaml', 'region: us-west-2', 'region: Oregon'],
    'config/project.yaml:6:9 region: expected an AWS region name such as us-west-2 or eu-central-1; found "Oregon"'],
  ['a misspelt key', ['project.yaml', /^tags:/m, 'tgas:'],
    'config/project.yaml:9:1 tgas: expected one of the keys name, region, tags, state (did you mean "tags"?); found unknown key "tgas"'],
  ['a reserved tag key', ['project.yaml', 'Owner: research-engineering', 'aws:owner: research-engineering'],
    'config/project.yaml:10:3 tags.aws:owner: expected a tag key of 1 to 128 letters, digits, spaces or _ . : / = + - @, not starting with aws:; found "aws:owner"'],
  ['a tag value that is not a string', ['project.yaml', 'CostCenter: genomics', 'CostCenter: [a, b]'],
    'config/project.yaml:11:15 tags.CostCenter: expected a tag value: a string of at most 256 letters, digits, spaces or _ . : / = + - @; found a list'],
  ['an unknown state backend', ['project.yaml', 'backend: local', 'backend: gcs'],
    'config/project.yaml:22:12 state.backend: expected one of local, s3; found "gcs"'],
  ['an S3 backend without a bucket', ['project.yaml', 'backend: local', 'backend: s3'],
    'config/project.yaml:22:3 state.bucket: expected a value for "bucket" (the name of the bucket that holds the state, required with backend s3); found nothing: the key is missing'],
  ['a VPC CIDR that is not an address', ['network.yaml', 'vpcCidr: 10.20.0.0/16', 'vpcCidr: 10.20.0.300/16'],
    'config/network.yaml:4:10 vpcCidr: expected an IPv4 CIDR block: four numbers 0-255 and a prefix length 0-32, such as 10.20.0.0/16; found "10.20.0.300/16"'],
  ['a VPC larger than AWS allows', ['network.yaml', 'vpcCidr: 10.20.0.0/16', 'vpcCidr: 10.0.0.0/8'],
    'config/network.yaml:4:10 vpcCidr: expected a prefix length from /16 to /28; found "10.0.0.0/8"'],
  ['a VPC CIDR with host bits set', ['network.yaml', 'vpcCidr: 10.20.0.0/16', 'vpcCidr: 10.20.5.0/16'],
    'config/network.yaml:4:10 vpcCidr: expected a network address with its host bits zero (10.20.0.0/16); found "10.20.5.0/16"'],
  ['a subnet outside the VPC', ['network.yaml', 'cidr: 10.20.1.0/24', 'cidr: 10.30.1.0/24'],
    'config/network.yaml:7:9 subnet.cidr: expected a CIDR block inside vpcCidr 10.20.0.0/16; found "10.30.1.0/24"'],
  ['a subnet that is not a CIDR block', ['network.yaml', 'cidr: 10.20.1.0/24', 'cidr: 10.20.1.0'],
    'config/network.yaml:7:9 subnet.cidr: expected an IPv4 CIDR block such as 10.20.1.0/24; found "10.20.1.0"'],
  ['an availability zone of another region', ['network.yaml', 'availabilityZone: us-west-2a', 'availabilityZone: eu-west-1a'],
    "config/network.yaml:8:21 subnet.availabilityZone: expected an availability zone of the project's region us-west-2, such as us-west-2a; found \"eu-west-1a\""],
  ['a missing subnet', ['network.yaml', /subnet:\n.*\n.*\n/, ''],
    'config/network.yaml:4:1 subnet: expected a value for "subnet" (The one subnet workers run in.); found nothing: the key is missing'],
  ['an unknown ingress protocol', ingress('    protocol: ssh\n    port: 22\n    cidr: 203.0.113.0/24'),
    'config/network.yaml:20:15 ingress.lab.protocol: expected one of tcp, udp, icmp; found "ssh"'],
  ['a port out of range', ingress('    protocol: tcp\n    port: 70000\n    cidr: 203.0.113.0/24'),
    'config/network.yaml:21:11 ingress.lab.port: expected a number <= 65535; found 70000'],
  ['a port range that runs backwards', ingress('    protocol: tcp\n    fromPort: 9000\n    toPort: 8000\n    cidr: 203.0.113.0/24'),
    'config/network.yaml:22:13 ingress.lab.toPort: expected a port at or above fromPort 9000; found 8000'],
  ['a tcp rule without a port', ingress('    protocol: tcp\n    cidr: 203.0.113.0/24'),
    'config/network.yaml:20:5 ingress.lab: expected a port (or fromPort and toPort) for protocol tcp; found nothing: no port given'],
  ['an icmp rule with a port', ingress('    protocol: icmp\n    port: 8\n    cidr: 203.0.113.0/24'),
    'config/network.yaml:21:5 ingress.lab.port: expected no ports for protocol icmp (it allows all ICMP); found 8'],
  ['an ingress CIDR with host bits set', ingress('    protocol: tcp\n    port: 443\n    cidr: 203.0.113.7/24'),
    'config/network.yaml:22:11 ingress.lab.cidr: expected a network address with its host bits zero (203.0.113.0/24); found "203.0.113.7/24"'],
  ['broken YAML', ['network.yaml', 'vpcCidr: 10.20.0.0/16', 'vpcCidr: [10.20.0.0/16'],
    /^config\/network\.yaml:\d+:\d+ \(yaml\): expected valid YAML; found Flow sequence/],
  ['a file that is a list', ['network.yaml', /^vpcCidr[\s\S]*$/m, '- 10.20.0.0/16\n'],
    'config/network.yaml:4:1 (top level): expected a mapping; found a list'],
  ['a client device of a core that does not exist', ['core.yaml', 'coreDevice: lab-gateway', 'coreDevice: lab-gatway'],
    'config/core.yaml:22:17 clientDevices.lab-sensor.coreDevice: expected one of the core devices: lab-gateway; found "lab-gatway"'],
  ['a client device named like a core device', ['core.yaml', /^  lab-sensor:/m, '  lab-gateway:'],
    'config/core.yaml:21:3 clientDevices.lab-gateway: expected a name no core device has (both become IoT things); found "lab-gateway"'],
  ['a missing client device auth component', ['core.yaml', /^  aws\.greengrass\.clientdevices\.Auth: .*\n/m, ''],
    'config/core.yaml:27:3 components: expected a version for aws.greengrass.clientdevices.Auth (client device auth); found none'],
  ['no MQTT broker', ['core.yaml', 'aws.greengrass.clientdevices.mqtt.Moquette', 'aws.greengrass.Nucleus'],
    'config/core.yaml:27:3 components: expected an MQTT broker: a version for aws.greengrass.clientdevices.mqtt.Moquette or aws.greengrass.clientdevices.mqtt.EMQX; found none'],
  ['an ssh host without a user', ['core.yaml', '# host: pi@192.0.2.10', 'host: 192.0.2.10'],
    'config/core.yaml:16:11 coreDevices.lab-gateway.host: expected user@host, such as pi@192.0.2.10; found "192.0.2.10"'],
  ['one thing group for cores and clients', ['core.yaml', 'clientDeviceGroup: PushbuttonClients', 'clientDeviceGroup: PushbuttonClients\nthingGroups:\n  cores: pushbutton-demo-clients'],
    /^config\/core\.yaml:\d+:10 thingGroups\.cores: expected a thing group apart from the other devices' one \(cores and clients are in groups of their own\); found "pushbutton-demo-clients"$/],
  ['a thing group name IoT refuses', ['core.yaml', 'clientDeviceGroup: PushbuttonClients', 'clientDeviceGroup: PushbuttonClients\nthingGroups:\n  clients: lab clients'],
    /^config\/core\.yaml:\d+:12 thingGroups\.clients: expected an IoT thing group name of letters, digits and : _ - \(at most 128\), such as lab-clients; found "lab clients"$/],
  ['a nucleus version that is not a version', ['core.yaml', 'nucleusVersion: 2.16.1', 'nucleusVersion: latest'],
    'config/core.yaml:5:19 greengrass.nucleusVersion: expected a version such as 2.16.1; found "latest"'],
  ['a relative root path', ['core.yaml', 'rootPath: /greengrass/v2', 'rootPath: greengrass/v2'],
    'config/core.yaml:6:13 greengrass.rootPath: expected an absolute path of letters, digits and / . _ -, such as /greengrass/v2; found "greengrass/v2"'],
  ['a case of a workflow that does not exist', ['workflows.yaml', 'workflow: taxonomic_classification', 'workflow: taxonomic_clasification'],
    'config/workflows.yaml:123:15 cases.0.workflow: expected one of the workflows: read_filtering, taxonomic_classification, assembly, comparison; found "taxonomic_clasification"'],
  ['a study of a workflow that does not exist', ['workflows.yaml', /^    workflow: read_filtering$/m, '    workflow: read_filter'],
    'config/workflows.yaml:129:15 studies.trimming-sweep.workflow: expected one of the workflows: read_filtering, taxonomic_classification, assembly, comparison; found "read_filter"'],
  ['an exclude entry on a path the matrix does not vary', ['workflows.yaml', '      - taxonomic_classification.kaiju_report.taxonomic_rank: family', '      - taxonomic_classification.kaiju_report.taxonomic_rankk: family'],
    'config/workflows.yaml:138:9 studies.kaiju-threshold.exclude.0.taxonomic_classification.kaiju_report.taxonomic_rankk: expected a path of the matrix: taxonomic_classification.kaiju_report.taxonomic_rank, taxonomic_classification.kaiju_report.pct_threshold; found "taxonomic_classification.kaiju_report.taxonomic_rankk"'],
  ['a single case that a study already runs', ['workflows.yaml', /  - workflow: taxonomic_classification\n    label: .*\n/, "  - workflow: read_filtering\n    parameters: { workflows: { read_filtering_posttrim_workflow: { qual: ['10'] } } }\n"],
    /^config\/workflows\.yaml:\d+:\d+ studies\.trimming-sweep: expected a case not already given by cases\.0; found the same workflow, parameters and inputs \(case c-[0-9a-f]{12}\)$/],
  ['a matrix value given twice', ['workflows.yaml', "workflows.read_filtering_posttrim_workflow.qual: [['2'], ['10'], ['20'], ['30']]", "workflows.read_filtering_posttrim_workflow.qual: [['2'], ['10'], ['2'], ['30']]"],
    'config/workflows.yaml:131:72 studies.trimming-sweep.matrix.workflows.read_filtering_posttrim_workflow.qual.2: expected each value once (it is also item 0); found a list'],
  ['a matrix path with no values', ['workflows.yaml', "workflows.read_filtering_posttrim_workflow.qual: [['2'], ['10'], ['20'], ['30']]", 'workflows.read_filtering_posttrim_workflow.qual: []'],
    'config/workflows.yaml:131:56 studies.trimming-sweep.matrix.workflows.read_filtering_posttrim_workflow.qual: expected a non-empty list of values; found 0 items'],
  ['an input that is not https or s3', ['workflows.yaml', /    label: classify trimmed reads \(walkthrough\)\n/, '    inputs: [http://example.org/reads.fq.gz]\n'],
    'config/workflows.yaml:124:14 cases.0.inputs.0: expected an https:// or s3:// URL, or a url and the path to save it at; found "http://example.org/reads.fq.gz"'],
  ['an instance type that is not one', ['workflows.yaml', /^    instanceType: m5\.2xlarge$/m, '    instanceType: big'],
    'config/workflows.yaml:51:19 workflows.read_filtering.instanceType: expected an EC2 instance type such as m5.2xlarge; found "big"'],
  ['a timeout of zero minutes', ['workflows.yaml', /^    timeoutMinutes: 240$/m, '    timeoutMinutes: 0'],
    'config/workflows.yaml:55:21 workflows.read_filtering.timeoutMinutes: expected a number >= 1; found 0'],
  ['an engine that is not one', ['workflows.yaml', 'engine: batch', 'engine: fargate'],
    'config/workflows.yaml:13:11 launch.engine: expected one of batch, ec2; found "fargate"'],
  ['a results prefix where Pushbutton keeps the Batch manifests', ['workflows.yaml', 'prefix: results', 'prefix: _pushbutton/results'],
    'config/workflows.yaml:9:11 results.prefix: expected an S3 key prefix such as results (not _pushbutton); found "_pushbutton/results"'],
  ['a log retention CloudWatch does not offer', ['workflows.yaml', 'logRetentionDays: 30', 'logRetentionDays: 31'],
    'config/workflows.yaml:25:21 monitoring.logRetentionDays: expected one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653; found 31'],
  ['a workflow needing more vCPUs than the Batch compute environment runs', ['workflows.yaml', 'maxVcpus: 64', 'maxVcpus: 12'],
    'config/workflows.yaml:89:12 workflows.assembly.vcpus: expected at most launch.batch.maxVcpus (12), which a job of it needs at once; found 16'],
  ['a mistyped key of the Batch settings', ['workflows.yaml', 'maxVcpus: 64', 'maxVCPUs: 64'],
    'config/workflows.yaml:17:5 launch.batch.maxVCPUs: expected one of the keys capacity, maxVcpus, image (did you mean "maxVcpus"?); found unknown key "maxVCPUs"'],
  ['logs uploaded without the log manager that uploads them', ['core.yaml', '  aws.greengrass.LogManager: 2.3.5\n', ''],
    'config/core.yaml:35:11 logs.upload: expected false, or a version for aws.greengrass.LogManager under components, which uploads the logs; found true'],
  ['an ingress rule that opens SSH to the whole internet', ['network.yaml', 'ingress: {}', 'ingress:\n  ssh:\n    protocol: tcp\n    port: 22\n    cidr: 0.0.0.0/0'],
    "config/network.yaml:22:11 ingress.ssh.cidr: expected a network of yours, not the whole internet, for a rule that opens SSH (port 22): workers need no SSH (Session Manager reaches them); if you mean it, say so with allowWorld: true on the rule; found \"0.0.0.0/0\""],
  ['an ingress range over SSH open to the whole internet', ['network.yaml', 'ingress: {}', 'ingress:\n  admin:\n    protocol: tcp\n    fromPort: 20\n    toPort: 25\n    cidr: 0.0.0.0/0'],
    "config/network.yaml:23:11 ingress.admin.cidr: expected a network of yours, not the whole internet, for a rule that opens SSH (port 22): workers need no SSH (Session Manager reaches them); if you mean it, say so with allowWorld: true on the rule; found \"0.0.0.0/0\""],
  ['a study varying a path its workflow has no parameter at', ['workflows.yaml', "workflows.read_filtering_posttrim_workflow.qual: [['2']", "workflows.read_filtering_posttrim_workflow.quall: [['2']"],
    "config/workflows.yaml:131:7 studies.trimming-sweep.matrix.workflows.read_filtering_posttrim_workflow.quall: expected a parameter its workflow read_filtering gives a default (did you mean \"workflows.read_filtering_posttrim_workflow.qual\"?); found \"workflows.read_filtering_posttrim_workflow.quall\", which no parameter of it has"],
  ['a key given twice in a mapping', ['network.yaml', 'vpcCidr: 10.20.0.0/16\n', 'vpcCidr: 10.20.0.0/16\nvpcCidr: 10.30.0.0/16\n'],
    "config/network.yaml:5:1 vpcCidr: expected each key once in a mapping (it is first on line 4); found \"vpcCidr\" again"],
  ['an alias of no anchor', ['workflows.yaml', /packages: \*dahak-packages/, 'packages: *dahak-package'],
    "config/workflows.yaml:56:15 (yaml): expected an alias of an anchor set above it (&dahak-package); found *dahak-package, which no anchor above names"],
  ['a quote never closed', ['network.yaml', 'availabilityZone: us-west-2a', 'availabilityZone: "us-west-2a'],
    "config/network.yaml:8:21 (yaml): expected a closing \" for the quote that opens here; found none before the end of the file"],
  ['a bad value under an anchor every workflow uses', ['workflows.yaml', '[git, python3-pip, software-properties-common]', '[git, "Python 3", software-properties-common]'],
    "config/workflows.yaml:37:35 workflows.read_filtering.packages.1: expected a Debian package name such as git; found \"Python 3\""],
  ['a topic with a wildcard', ['core.yaml', 'topic: lab/sensors/lab-sensor', 'topic: lab/sensors/#'],
    'config/core.yaml:23:12 clientDevices.lab-sensor.topic: expected an MQTT topic of letters, digits and / _ - . without wildcards, such as lab/sensors/one; found "lab/sensors/#"'],
  ['a broker port out of range', ['core.yaml', 'topic: lab/sensors/lab-sensor', 'topic: lab/sensors/lab-sensor\n    broker: 192.0.2.10:70000'],
    'config/core.yaml:24:13 clientDevices.lab-sensor.broker: expected host[:port]: an IPv4 address or DNS name, and optionally a port 1-65535, such as 192.0.2.10 or 192.0.2.10:8883; found "192.0.2.10:70000"'],
];

describe('a bad config is rejected with its file, line, key, what was expected and what was found', () => {
  it.each(badConfigs)('%s', (_name, [file, from, to], message) => {
    edit(file, from, to);
    const error = configError();
    const lines = error.issues.map((issue) => error.message.split('\n').find((l) => l.includes(issue.key))!.trim());
    expect(lines).toHaveLength(1);
    if (typeof message === 'string') expect(lines[0]).toBe(message);
    else expect(lines[0]).toMatch(message);
  });

  it('takes SSH open to the internet when the rule says so with allowWorld', () => {
    edit('network.yaml', 'ingress: {}', 'ingress:\n  ssh:\n    protocol: tcp\n    port: 22\n    cidr: 0.0.0.0/0\n    allowWorld: true');
    expect(loadConfig(root, 'config').network!.ingress.ssh).toEqual({ description: 'Allowed by config/network.yaml', protocol: 'tcp', cidr: '0.0.0.0/0', fromPort: 22, toPort: 22 });
  });

  it('reports every problem at once, across files', () => {
    edit('project.yaml', 'name: pushbutton-demo', 'name: X');
    edit('network.yaml', 'cidr: 10.20.1.0/24', 'cidr: 10.30.1.0/24');
    edit('network.yaml', 'ingress: {}', 'ingress:\n  lab:\n    protocol: tcp\n    cidr: 10.0.0.0/8');
    expect(configError().issues.map((i) => `${i.file} ${i.key}`)).toEqual([
      'config/project.yaml name',
      'config/network.yaml ingress.lab',
      'config/network.yaml subnet.cidr',
    ]);
  });

  it('takes a name of 28 characters with the workflow step, and of 32 without it', () => {
    edit('project.yaml', 'name: pushbutton-demo', 'name: pushbutton-genomics-lab-bern');
    expect(loadConfig(root, 'config').project.name).toHaveLength(28);
    edit('project.yaml', 'name: pushbutton-genomics-lab-bern', 'name: pushbutton-genomics-lab-lausanne');
    expect(configError().issues.map((i) => i.key)).toEqual(['name']);
    rmSync(join(root, 'config/workflows.yaml'));
    expect(loadConfig(root, 'config').project.name).toHaveLength(32);
  });

  it('says which file is missing', () => {
    rmSync(join(root, 'config/project.yaml'));
    expect(configError().message).toContain('config/project.yaml:1:1 (file): expected this file to exist; found no such file');
  });
});
