import type { OpHandler } from '../../../executor/handler.js';
import type { DockerOps } from '../docker-ops.driver.js';
import { managedLabels, targetId } from './op-support.js';

export function networkCreateOp(docker: DockerOps): OpHandler<'network.create'> {
  return async (ctx) => {
    const { name, driver, subnet, gateway, labels } = ctx.params;
    const network = await docker.api.createNetwork({
      Name: name,
      Driver: driver,
      CheckDuplicate: true,
      Labels: managedLabels(labels),
      ...(subnet
        ? { IPAM: { Driver: 'default', Config: [{ Subnet: subnet, ...(gateway ? { Gateway: gateway } : {}) }] } }
        : {}),
    });
    return { id: network.id, name };
  };
}

export function networkRemoveOp(docker: DockerOps): OpHandler<'network.remove'> {
  return async (ctx) => {
    const id = targetId(ctx);
    await docker.api.getNetwork(id).remove();
    return { id };
  };
}

export function networkConnectOp(docker: DockerOps): OpHandler<'network.connect'> {
  return async (ctx) => {
    const id = targetId(ctx);
    const { container, ipv4 } = ctx.params;
    await docker.api.getNetwork(id).connect({
      Container: container,
      ...(ipv4 ? { EndpointConfig: { IPAMConfig: { IPv4Address: ipv4 } } } : {}),
    });
    return { id, container };
  };
}

export function networkDisconnectOp(docker: DockerOps): OpHandler<'network.disconnect'> {
  return async (ctx) => {
    const id = targetId(ctx);
    const { container, force } = ctx.params;
    await docker.api.getNetwork(id).disconnect({ Container: container, Force: force });
    return { id, container };
  };
}
