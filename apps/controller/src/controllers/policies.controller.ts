import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { schemaRef } from '../dtos/api-schemas.js';
import { ImagePolicyInputSchema } from '../dtos/image-policy.dto.js';
import { IdParamSchema } from '../dtos/list-query.dto.js';
import { PolicyInputSchema } from '../dtos/policy.dto.js';
import { CreatePolicyService } from '../services/create-policy.service.js';
import { type Principal, requestedByOf } from '../services/principal.js';
import { AdminOnly, CurrentPrincipal, RequireRole } from './auth.decorators.js';
import { ApiAdminRoute } from './auth-docs.decorators.js';
import { parseBody } from './body.parser.js';
import { HostRef, REFERENCE_DESCRIPTIONS } from './resolve.pipe.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

const id = new ZodValidationPipe(IdParamSchema);
const POLICY = { id: 'Corral id of the create policy (UUID)', uuid: true, notFound: 'no create policy has this id' };
const IMAGE_POLICY = {
  id: 'Corral id of the image policy (UUID)',
  uuid: true,
  notFound: 'no image policy has this id',
};

// Create policies: what creates may do on hosts beyond the safe default (docs/security.md).
@ApiTags('access')
@AdminOnly()
@Controller('api/v1')
export class PoliciesController {
  constructor(private readonly policies: CreatePolicyService) {}

  @Get('policies')
  @ApiAdminRoute('List create policies', {
    status: 200,
    description: 'every create policy, by name',
    schema: 'PolicyList',
  })
  list() {
    return this.policies.list();
  }

  @Post('policies')
  @ApiAdminRoute(
    'Make a create policy: grants for the hosts its selector matches',
    { status: 201, description: 'the policy made', schema: 'Policy' },
    PolicyInputSchema,
  )
  @ApiConflictResponse({ description: 'a create policy of this name exists', schema: schemaRef('Error') })
  create(@Body() body: unknown, @CurrentPrincipal() principal: Principal) {
    return this.policies.create(parseBody(PolicyInputSchema, body), requestedByOf(principal));
  }

  @Get('policies/:id')
  @ApiAdminRoute('One create policy', { status: 200, description: 'the policy', schema: 'Policy' }, undefined, POLICY)
  get(@Param('id', id) policy: string) {
    return this.policies.get(policy);
  }

  @Put('policies/:id')
  @ApiAdminRoute(
    'Replace a create policy',
    { status: 200, description: 'the policy as it is now', schema: 'Policy' },
    PolicyInputSchema,
    { ...POLICY, conflict: 'another create policy has this name' },
  )
  replace(@Param('id', id) policy: string, @Body() body: unknown) {
    return this.policies.replace(policy, parseBody(PolicyInputSchema, body));
  }

  @Delete('policies/:id')
  @HttpCode(204)
  @ApiAdminRoute('Remove a create policy', { status: 204, description: 'removed' }, undefined, POLICY)
  async remove(@Param('id', id) policy: string): Promise<void> {
    await this.policies.remove(policy);
  }

  @Get('image-policies')
  @ApiAdminRoute('List image policies', {
    status: 200,
    description: 'every image policy, by name',
    schema: 'ImagePolicyList',
  })
  listImagePolicies() {
    return this.policies.listImagePolicies();
  }

  @Post('image-policies')
  @ApiAdminRoute(
    'Make an image policy: rules for the images Docker creates may run on the hosts its selector matches',
    { status: 201, description: 'the image policy made', schema: 'ImagePolicy' },
    ImagePolicyInputSchema,
  )
  @ApiConflictResponse({ description: 'an image policy of this name exists', schema: schemaRef('Error') })
  createImagePolicy(@Body() body: unknown, @CurrentPrincipal() principal: Principal) {
    return this.policies.createImagePolicy(parseBody(ImagePolicyInputSchema, body), requestedByOf(principal));
  }

  @Get('image-policies/:id')
  @ApiAdminRoute(
    'One image policy',
    { status: 200, description: 'the image policy', schema: 'ImagePolicy' },
    undefined,
    IMAGE_POLICY,
  )
  getImagePolicy(@Param('id', id) policy: string) {
    return this.policies.getImagePolicy(policy);
  }

  @Delete('image-policies/:id')
  @HttpCode(204)
  @ApiAdminRoute('Remove an image policy', { status: 204, description: 'removed' }, undefined, IMAGE_POLICY)
  async removeImagePolicy(@Param('id', id) policy: string): Promise<void> {
    await this.policies.removeImagePolicy(policy);
  }

  @Get('hosts/:id/policy')
  @RequireRole('viewer')
  @ApiOperation({ summary: 'What creates may do on a host: the policies that apply and their grants together' })
  @ApiOkResponse({
    description: 'the policies that apply and what they allow together',
    schema: schemaRef('EffectivePolicy'),
  })
  @ApiParam({
    name: 'id',
    description: REFERENCE_DESCRIPTIONS.host,
    schema: { type: 'string', minLength: 1, maxLength: 512 },
  })
  @ApiNotFoundResponse({ description: 'no host has this id or hostname', schema: schemaRef('Error') })
  @ApiConflictResponse({
    description: 'the reference fits several hosts; `candidates` lists them',
    schema: schemaRef('Error'),
  })
  async effective(@Param('id', HostRef) hostId: string) {
    const { host, policies, grants } = await this.policies.effective(hostId);
    return { hostId: host.id, hostname: host.hostname, policies, grants, installedTemplates: host.lxcTemplates };
  }
}
