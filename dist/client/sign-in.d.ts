import { type GatewayLocation } from './gateway-location.ts';
import type { PopupLogins } from './popup-login.ts';
import type { LoginOptions, LoginResult } from './types.ts';
export declare function signIn(gateway: GatewayLocation, popups: PopupLogins, provider: string, options?: LoginOptions): Promise<LoginResult>;
