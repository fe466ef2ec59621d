import * as cdk from 'aws-cdk-lib';
import { Template, Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { TileServer } from './cdk/service/tile-server';
class S extends cdk.Stack { get availabilityZones() { return [cdk.Fn.select(0, cdk.Fn.getAzs()), cdk.Fn.select(1, cdk.Fn.getAzs())]; } }
const app = new cdk.App({ context: require('./cdk.json').context });
const stack = new S(app, 'T', { env: { account: '333333333333', region: 'us-east-1' } });
new TileServer(stack, 'Tiles', { imageDirectory: 'service/tile-server', schemaVersion: 'v1-abc', alarmNamePrefix: 'Prod-Service' });
cdk.Aspects.of(app).add(new AwsSolutionsChecks());
const asm = app.synth();
console.log('missing', JSON.stringify(asm.manifest.missing));
const j = asm.getStackByName('T').template;
for (const [k, r] of Object.entries<any>(j.Resources)) if (/ECS::|ElasticLoadBalancingV2::TargetGroup|CloudWatch|Listener/.test(r.Type)) console.log(k, JSON.stringify(r).slice(0, 1800));
console.log(Object.values<any>(j.Resources).map(r=>r.Type).join(' '));
const a = Annotations.fromStack(stack);
console.log([...a.findError('*', Match.stringLikeRegexp('AwsSolutions-.*')), ...a.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'))].map(f => f.id + ' ' + String(f.entry.data).split('\n')[0]));
console.log(a.findInfo('*', Match.anyValue()).map(f=>String(f.entry.data).slice(0,200)));
console.log(a.findWarning('*', Match.anyValue()).map(f=>String(f.entry.data).slice(0,200)));
