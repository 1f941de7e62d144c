// A TypeScript app using the package as published (its emitted declarations, by package name),
// with supabase-js's own types: `npm run typecheck` compiles it, so a declaration that a real
// supabase-js client or session does not fit fails the test suite.
import { createClient, type Session } from '@supabase/supabase-js';
import { createElement, type ReactNode } from 'react';
import {
  ApiError, createUsersClient, StaleError, type ErrorCode, type ProfileChanges, type ServiceProfile, type User,
} from 'nura-users-client';
import { AuthProvider, useAuth, useUserProfile, type UserProfileState } from 'nura-users-client/react';

const supabase = createClient('https://project.supabase.co', 'anon-key');
const fromClient = createUsersClient({ baseUrl: 'https://api.example.com', session: supabase });
declare const session: Session;
const fromSession = createUsersClient({ baseUrl: '', session: () => session, retries: 5, sessionId: 'tab-1' });

export async function edit(changes: ProfileChanges): Promise<User> {
  const { user, serviceProfiles, etag } = await fromClient.me();
  const chat: ServiceProfile | undefined = serviceProfiles.chat;
  void chat;
  try {
    return (await fromSession.updateProfile(changes, { ifMatch: etag })).user;
  } catch (error) {
    if (error instanceof StaleError) return user;
    if (error instanceof ApiError) {
      const code: ErrorCode = error.code;
      throw new Error(`${error.status} ${code}: ${error.message}`);
    }
    throw error;
  }
}

export function App({ children }: { children?: ReactNode }) {
  return createElement(AuthProvider, { supabase, baseUrl: 'https://api.example.com' }, children);
}

export function Profile() {
  const { user, loading } = useAuth();
  const state: UserProfileState = useUserProfile();
  const name: string | null | undefined = state.profile?.display_name;
  void state.updateProfile({ bio: null, privacy_settings: { public: true } });
  return loading ? null : createElement('p', null, name ?? user?.email ?? '');
}
