import { describe, expect, it } from 'vitest';
import { MetricsService } from './metrics.service.js';

const sample = (text: string, line: string) => text.split('\n').find((l) => l.startsWith(`${line} `));

describe('MetricsService', () => {
  it('counts frames by type, invalid and binary ones apart', async () => {
    const sut = new MetricsService();
    sut.frameReceived('delta');
    sut.frameReceived('delta');
    sut.frameReceived('hello');
    sut.invalidFrameReceived();
    sut.binaryFrameReceived();
    const text = await sut.scrape();
    expect(sample(text, 'corral_agent_frames_received_total{type="delta"}')).toMatch(/ 2$/);
    expect(sample(text, 'corral_agent_frames_received_total{type="hello"}')).toMatch(/ 1$/);
    expect(sample(text, 'corral_agent_frames_received_total{type="invalid"}')).toMatch(/ 1$/);
    expect(sample(text, 'corral_agent_frames_received_total{type="binary"}')).toMatch(/ 1$/);
  });

  it('counts transitions and times only final ones', async () => {
    const sut = new MetricsService();
    sut.commandTransitioned('container.stop', 'sent', null);
    sut.commandTransitioned('container.stop', 'succeeded', 2.5);
    const text = await sut.scrape();
    expect(sample(text, 'corral_command_transitions_total{status="sent",op="container.stop"}')).toMatch(/ 1$/);
    expect(sample(text, 'corral_command_duration_seconds_count{op="container.stop",status="succeeded"}')).toMatch(
      / 1$/,
    );
    expect(sample(text, 'corral_command_duration_seconds_sum{op="container.stop",status="succeeded"}')).toMatch(
      / 2\.5$/,
    );
    expect(text).not.toContain('corral_command_duration_seconds_count{op="container.stop",status="sent"}');
  });

  it('keeps cumulative buckets, sum and count of the event lag', async () => {
    const sut = new MetricsService();
    sut.eventDelivered(0.003);
    sut.eventDelivered(0.2);
    sut.eventDelivered(60);
    const text = await sut.scrape();
    const lag = 'corral_event_delivery_lag_seconds';
    expect(text).toContain(`# TYPE ${lag} histogram`);
    expect(sample(text, `${lag}_bucket{le="0.001"}`)).toMatch(/ 0$/);
    expect(sample(text, `${lag}_bucket{le="0.005"}`)).toMatch(/ 1$/);
    expect(sample(text, `${lag}_bucket{le="0.25"}`)).toMatch(/ 2$/);
    expect(sample(text, `${lag}_bucket{le="5"}`)).toMatch(/ 2$/);
    expect(sample(text, `${lag}_bucket{le="+Inf"}`)).toMatch(/ 3$/);
    expect(sample(text, `${lag}_sum`)).toMatch(/ 60\.203$/);
    expect(sample(text, `${lag}_count`)).toMatch(/ 3$/);
  });

  it('shows the lease as it is told, and one replica id', async () => {
    const sut = new MetricsService();
    sut.setLeader('sweepers', true);
    expect(sample(await sut.scrape(), 'corral_leader{job="sweepers"}')).toMatch(/ 1$/);
    sut.setLeader('sweepers', false);
    expect(sample(await sut.scrape(), 'corral_leader{job="sweepers"}')).toMatch(/ 0$/);
    sut.setReplica('r0');
    sut.setReplica('r1');
    const text = await sut.scrape();
    expect(sample(text, 'corral_replica_info{replica="r1"}')).toMatch(/ 1$/);
    expect(text).not.toContain('replica="r0"');
  });

  it('still answers when the open-commands count fails, without that series', async () => {
    const sut = new MetricsService();
    sut.source('agentsConnected', () => 3);
    sut.source('openCommands', () => Promise.reject(new Error('database down')));
    const text = await sut.scrape();
    expect(sample(text, 'corral_agents_connected')).toMatch(/ 3$/);
    expect(text).not.toMatch(/^corral_commands_open\{/m);
  });
});
